using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Messenger.Testing.Services;

/// <summary>The JSON a client gets back with tokens (DESIGN §3a), read by name as a client would.</summary>
public sealed record Tokens(Guid UserId, string Username, Guid SessionId, string AccessToken, string RefreshToken, string TokenType, int ExpiresIn);

public static class AuthClient
{
    public const string Password = "correct horse battery staple";

    public static string NewUsername(string stem = "user") => stem + Guid.NewGuid().ToString("N")[..10];

    public static async Task<Tokens> RegisterAsync(
        this HttpClient client, string? username = null, string password = Password, string? email = null, string? displayName = null)
    {
        using var response = await client.PostAsJsonAsync("/register", new { username = username ?? NewUsername(), password, email, displayName });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Tokens>())!;
    }

    public static async Task<Tokens> LoginAsync(this HttpClient client, string username, string password = Password)
    {
        using var response = await client.PostAsJsonAsync("/login", new { username, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Tokens>())!;
    }
}
