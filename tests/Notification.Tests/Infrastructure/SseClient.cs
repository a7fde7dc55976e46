using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Notification.Tests.Infrastructure;

/// <summary>One Server-Sent Event as a browser's EventSource would dispatch it.</summary>
public sealed record SseEvent(string? Id, string Name, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();

    public long Seq => long.Parse(Id!, System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => $"[{Id}] {Name}: {Data}";
}

/// <summary>
/// A client of <c>GET /notifications/stream</c> over a real socket: reads the response as it arrives
/// (<see cref="HttpCompletionOption.ResponseHeadersRead"/>) and parses it by the SSE rules.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly HttpClient http;
    private readonly HttpResponseMessage response;
    private readonly CancellationTokenSource stop = new();
    private readonly List<SseEvent> events = [];
    private readonly Lock sync = new();
    private readonly Task reading;
    private int comments;

    private SseClient(HttpClient http, HttpResponseMessage response)
    {
        this.http = http;
        this.response = response;
        reading = Task.Run(ReadAsync);
    }

    public IReadOnlyList<SseEvent> Events
    {
        get
        {
            lock (sync)
            {
                return [.. events];
            }
        }
    }

    /// <summary>Comment lines received (the connect line and heartbeats).</summary>
    public int Comments => Volatile.Read(ref comments);

    /// <summary>Completes when the server ends the stream.</summary>
    public Task Ended => reading;

    public static async Task<SseClient> ConnectAsync(Uri baseAddress, string accessToken, string? lastEventId = null, bool tokenInQuery = false)
    {
        var (http, response) = await OpenAsync(baseAddress, accessToken, lastEventId, tokenInQuery);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseClient(http, response);
    }

    /// <summary>Sends the stream request and returns the raw response (for requests that must be refused).</summary>
    public static async Task<(HttpClient Http, HttpResponseMessage Response)> OpenAsync(
        Uri baseAddress, string? accessToken, string? lastEventId = null, bool tokenInQuery = false)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        var path = "/notifications/stream" + (tokenInQuery && accessToken is not null ? "?access_token=" + Uri.EscapeDataString(accessToken) : "");
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (accessToken is not null && !tokenInQuery)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        return (http, response);
    }

    /// <summary>Waits for the first <c>notification</c> event that matches; fails the test after the deadline.</summary>
    public async Task<SseEvent> WaitForAsync(Func<JsonElement, bool> match, string what, string name = "notification")
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var found = Events.FirstOrDefault(e => e.Name == name && match(e.Json));
            if (found is not null)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline || reading.IsCompleted)
            {
                Assert.Fail($"No {name} event for {what} (stream {(reading.IsCompleted ? "ended" : "open")}). Received:\n" +
                    string.Join("\n", Events.TakeLast(10)));
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The notification events received so far for notification <paramref name="id"/>.</summary>
    public IReadOnlyList<JsonElement> About(Guid id) =>
        [.. Events.Where(e => e.Name == "notification").Select(e => e.Json).Where(j => j.GetProperty("id").GetGuid() == id)];

    private async Task ReadAsync()
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(stop.Token);
            using var reader = new StreamReader(body);
            string? id = null;
            var name = "message";
            var data = new List<string>();
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Count > 0)
                    {
                        lock (sync)
                        {
                            events.Add(new SseEvent(id, name, string.Join("\n", data)));
                        }
                    }

                    name = "message";
                    data.Clear();
                    continue;
                }

                if (line[0] == ':')
                {
                    Interlocked.Increment(ref comments);
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                switch (field)
                {
                    case "id":
                        id = value;
                        break;
                    case "event":
                        name = value;
                        break;
                    case "data":
                        data.Add(value);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await reading;
        response.Dispose();
        http.Dispose();
        stop.Dispose();
    }
}
