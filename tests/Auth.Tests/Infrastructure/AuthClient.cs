using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auth.Tests.Infrastructure;

/// <summary>The JSON a client gets back with tokens (DESIGN §3a), read by name as a client would.</summary>
public sealed record Tokens(Guid UserId, string Username, Guid SessionId, string AccessToken, string RefreshToken, string TokenType, int ExpiresIn);

public static class AuthClient
{
    public const string Password = "correct horse battery staple";

    public static string NewUsername(string stem = "user") => stem + Guid.NewGuid().ToString("N")[..10];

    public static async Task<Tokens> RegisterAsync(this HttpClient client, string? username = null, string password = Password, string? email = null)
    {
        using var response = await client.PostAsJsonAsync("/register", new { username = username ?? NewUsername(), password, email });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Tokens>())!;
    }

    public static async Task<Tokens> LoginAsync(this HttpClient client, string username, string password = Password)
    {
        using var response = await client.PostAsJsonAsync("/login", new { username, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Tokens>())!;
    }

    /// <summary>Asserts an RFC 9457 problem response and returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("traceId").GetString()));
        Assert.DoesNotContain("   at ", body.ToString(), StringComparison.Ordinal);
        return body;
    }

    public static string[] FieldErrors(this JsonElement problem, string field) =>
        problem.GetProperty("errors").TryGetProperty(field, out var errors)
            ? [.. errors.EnumerateArray().Select(e => e.GetString()!)]
            : [];
}
