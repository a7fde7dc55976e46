using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messenger.Bench.Load;

/// <summary>The tokens Auth answers a registration or login with (DESIGN §3a).</summary>
internal sealed record Tokens(Guid UserId, string Username, Guid SessionId, string AccessToken, string RefreshToken);

/// <summary>What the generator does over HTTP before the sockets open: accounts and conversations.</summary>
internal static class MessengerClient
{
    public const string Password = "correct horse battery staple";

    public static HttpClient Http(Uri baseAddress, string? accessToken = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return client;
    }

    public static string NewUsername(string stem) => stem + Guid.NewGuid().ToString("N")[..12];

    public static async Task<Tokens> RegisterAsync(HttpClient auth, string username)
    {
        using var response = await auth.PostAsJsonAsync("/register", new { username, password = Password });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /register answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<Tokens>())!;
    }

    /// <summary>Registers <paramref name="count"/> users, <paramref name="parallel"/> at a time.</summary>
    public static async Task<Tokens[]> RegisterManyAsync(Uri auth, int count, string stem, int parallel = 4)
    {
        var users = new Tokens[count];
        using var http = Http(auth);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallel },
            async (i, _) => users[i] = await RegisterAsync(http, NewUsername(stem)));
        return users;
    }

    /// <summary>
    /// The direct conversation of two users. Chat learns of new users from Auth's events, so the first
    /// attempts may answer 404 for a user registered a moment ago.
    /// </summary>
    public static async Task<Guid> OpenDirectAsync(Uri chat, Tokens from, Guid to)
    {
        using var http = Http(chat, from.AccessToken);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await http.PostAsJsonAsync("/chat", new { type = "direct", userId = to });
            if (response.IsSuccessStatusCode)
            {
                return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("conversationId").GetGuid();
            }

            if (response.StatusCode != HttpStatusCode.NotFound || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"POST /chat answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(100);
        }
    }

    public static Uri ChatSocketUri(Uri service, string accessToken) =>
        new($"ws://{service.Authority}/chat?access_token={Uri.EscapeDataString(accessToken)}");
}
