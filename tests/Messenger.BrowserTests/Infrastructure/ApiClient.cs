using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messenger.BrowserTests.Infrastructure;

/// <summary>
/// The messenger's HTTP API through the gateway, for arranging what a test needs quickly (many
/// messages, a second participant) while the browser does what the test is about.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private static readonly TimeSpan EventualTimeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient http;

    private ApiClient(HttpClient http, Guid userId)
    {
        this.http = http;
        UserId = userId;
    }

    public Guid UserId { get; }

    /// <summary>Registers the person's account over HTTP and signs this client in as them.</summary>
    public static async Task<ApiClient> RegisterAsync(Uri baseAddress, Person person, CancellationToken cancellationToken)
    {
        var http = new HttpClient { BaseAddress = baseAddress };
        using var response = await http.PostAsJsonAsync(
            "/register", new { username = person.Username, password = Person.Password, displayName = person.DisplayName }, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var tokens = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
        return new ApiClient(http, tokens.GetProperty("userId").GetGuid());
    }

    /// <summary>Opens the direct conversation with a user, waiting until Chat has heard of them (registration is an event).</summary>
    public async Task<Guid> OpenDirectConversationAsync(Guid userId, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + EventualTimeout;
        while (true)
        {
            using var response = await http.PostAsJsonAsync("/chat", new { type = "direct", userId }, cancellationToken);
            if (response.StatusCode != HttpStatusCode.NotFound || DateTime.UtcNow > deadline)
            {
                await EnsureSuccessAsync(response, cancellationToken);
                var conversation = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                return conversation.GetProperty("conversationId").GetGuid();
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    public async Task SendAsync(Guid conversationId, string text, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(
            $"/chat/{conversationId}/messages",
            new { clientMessageId = Guid.NewGuid().ToString("N"), content = new { kind = "text", text } },
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    /// <summary>The texts of a conversation's newest messages, oldest first.</summary>
    public async Task<IReadOnlyList<string>> TextsAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        var page = await http.GetFromJsonAsync<JsonElement>($"/chat/{conversationId}?limit=100", cancellationToken);
        return [.. page.GetProperty("items").EnumerateArray()
            .Select(m => m.GetProperty("content").GetProperty("text").GetString()!)
            .Reverse()];
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: " +
                await response.Content.ReadAsStringAsync(cancellationToken));
        }
    }

    public void Dispose() => http.Dispose();
}
