using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Messenger.Bench.Load;

/// <summary>One SSE client of <c>GET /notifications/stream</c> that notes when each state of a grouped notification arrived.</summary>
internal sealed class SseStream : IAsyncDisposable
{
    private readonly HttpClient http;
    private readonly CancellationTokenSource stop = new();
    private readonly Task reading;
    private readonly Action<Guid, long, long> onChange;

    private SseStream(HttpClient http, HttpResponseMessage response, Action<Guid, long, long> onChange)
    {
        this.http = http;
        this.onChange = onChange;
        reading = Task.Run(() => ReadAsync(response));
    }

    /// <param name="onChange">Called with the conversation, the last message seq the notification counts and the <see cref="Stopwatch"/> timestamp it arrived at.</param>
    public static async Task<SseStream> OpenAsync(Uri baseAddress, string accessToken, Action<Guid, long, long> onChange)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/notifications/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return new SseStream(http, response, onChange);
    }

    private async Task ReadAsync(HttpResponseMessage response)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(stop.Token);
            using var reader = new StreamReader(body);
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    var arrived = Stopwatch.GetTimestamp();
                    using var json = JsonDocument.Parse(line.AsMemory(6));
                    var data = json.RootElement.GetProperty("data");
                    if (data.TryGetProperty("lastSeq", out var lastSeq))
                    {
                        onChange(data.GetProperty("conversationId").GetGuid(), lastSeq.GetInt64(), arrived);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
        }
        finally
        {
            response.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await reading;
        http.Dispose();
        stop.Dispose();
    }
}
