using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auth.Tests.Infrastructure;
using Messenger.Testing.Services;

namespace Auth.Tests;

/// <summary>Refresh-token rotation, logout and the sessions list.</summary>
public sealed class SessionLifecycleTests(AuthApp app) : IClassFixture<AuthApp>
{
    private readonly HttpClient _client = app.CreateClient();

    private async Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        await _client.PostAsJsonAsync("/token/refresh", new { refreshToken }, TestContext.Current.CancellationToken);

    private async Task<HttpStatusCode> SessionsStatusAsync(string accessToken)
    {
        using var response = await app.CreateClient(accessToken).GetAsync("/sessions", TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task Refresh_rotates_the_refresh_token_and_keeps_the_session()
    {
        var tokens = await _client.RegisterAsync();

        using var response = await RefreshAsync(tokens.RefreshToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var refreshed = (await response.Content.ReadFromJsonAsync<Tokens>(TestContext.Current.CancellationToken))!;
        Assert.Equal(tokens.SessionId, refreshed.SessionId);
        Assert.Equal(tokens.UserId, refreshed.UserId);
        Assert.NotEqual(tokens.RefreshToken, refreshed.RefreshToken);
        Assert.NotEqual(tokens.AccessToken, refreshed.AccessToken);
        Assert.Equal(HttpStatusCode.OK, await SessionsStatusAsync(refreshed.AccessToken));
    }

    [Fact]
    public async Task Reusing_a_rotated_refresh_token_revokes_the_whole_session()
    {
        var tokens = await _client.RegisterAsync();
        using var first = await RefreshAsync(tokens.RefreshToken);
        var rotated = (await first.Content.ReadFromJsonAsync<Tokens>(TestContext.Current.CancellationToken))!;

        using var replay = await RefreshAsync(tokens.RefreshToken);

        var problem = await replay.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("already used", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var successor = await RefreshAsync(rotated.RefreshToken);
        await successor.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, await SessionsStatusAsync(rotated.AccessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await SessionsStatusAsync(tokens.AccessToken));
    }

    [Fact]
    public async Task Concurrent_uses_of_one_refresh_token_yield_exactly_one_success()
    {
        var tokens = await _client.RegisterAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => RefreshAsync(tokens.RefreshToken)));

        // The first use rotates the token; the others are reuses of a rotated token.
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
    }

    [Theory]
    [InlineData("unknown-token-that-was-never-issued-by-this-service-at-all-000")]
    [InlineData("x")]
    public async Task An_unknown_refresh_token_gets_401(string refreshToken)
    {
        using var response = await RefreshAsync(refreshToken);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_missing_refresh_token_gets_400()
    {
        using var response = await _client.PostAsJsonAsync("/token/refresh", new { }, TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors("refreshToken"));
    }

    [Fact]
    public async Task Logout_ends_the_session_its_access_token_and_its_refresh_token()
    {
        var tokens = await _client.RegisterAsync();
        var other = await _client.LoginAsync(tokens.Username);

        using var logout = await app.CreateClient(tokens.AccessToken).PostAsync("/logout", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await SessionsStatusAsync(tokens.AccessToken));
        using var refresh = await RefreshAsync(tokens.RefreshToken);
        await refresh.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, await SessionsStatusAsync(other.AccessToken));
    }

    [Fact]
    public async Task Logout_with_allSessions_ends_every_session_of_the_user()
    {
        var tokens = await _client.RegisterAsync();
        var laptop = await _client.LoginAsync(tokens.Username);
        var phone = await _client.LoginAsync(tokens.Username);

        using var logout = await app.CreateClient(tokens.AccessToken)
            .PostAsJsonAsync("/logout", new { allSessions = true }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        foreach (var session in new[] { tokens, laptop, phone })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SessionsStatusAsync(session.AccessToken));
        }
    }

    [Fact]
    public async Task Logout_without_a_token_gets_401()
    {
        using var response = await _client.PostAsync("/logout", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Sessions_lists_each_device_with_the_current_one_marked()
    {
        var tokens = await _client.RegisterAsync();
        var phoneClient = app.CreateClient();
        phoneClient.DefaultRequestHeaders.UserAgent.ParseAdd("MessengerPhone/2.1");
        phoneClient.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");
        var phone = await phoneClient.LoginAsync(tokens.Username);

        var list = await app.CreateClient(tokens.AccessToken)
            .GetFromJsonAsync<JsonElement>("/sessions", TestContext.Current.CancellationToken);

        var items = list.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        var current = Assert.Single(items, i => i.GetProperty("current").GetBoolean());
        Assert.Equal(tokens.SessionId, current.GetProperty("id").GetGuid());
        var phoneSession = Assert.Single(items, i => i.GetProperty("id").GetGuid() == phone.SessionId);
        Assert.Equal("MessengerPhone/2.1", phoneSession.GetProperty("userAgent").GetString());
        Assert.Equal("203.0.113.7", phoneSession.GetProperty("ip").GetString());
        Assert.True(phoneSession.GetProperty("createdAt").GetDateTimeOffset() <= phoneSession.GetProperty("lastSeenAt").GetDateTimeOffset());
        // A client that sent no User-Agent still gets the field, as null (DESIGN §3a).
        Assert.Equal(JsonValueKind.Null, current.GetProperty("userAgent").ValueKind);
    }

    [Fact]
    public async Task Using_a_session_moves_its_lastSeenAt_forward()
    {
        var tokens = await _client.RegisterAsync();
        var phone = await _client.LoginAsync(tokens.Username);
        var before = await LastSeenAsync(tokens.AccessToken, phone.SessionId);

        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, await SessionsStatusAsync(phone.AccessToken));

        var after = await LastSeenAsync(tokens.AccessToken, phone.SessionId);
        Assert.True(after > before, $"lastSeenAt {after:O} should be later than {before:O}");
    }

    private async Task<DateTimeOffset> LastSeenAsync(string accessToken, Guid sessionId)
    {
        // The last-seen write is fire-and-forget; give it a moment to land.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        DateTimeOffset seen;
        do
        {
            var list = await app.CreateClient(accessToken).GetFromJsonAsync<JsonElement>("/sessions", TestContext.Current.CancellationToken);
            seen = list.GetProperty("items").EnumerateArray()
                .Single(i => i.GetProperty("id").GetGuid() == sessionId).GetProperty("lastSeenAt").GetDateTimeOffset();
        }
        while (seen == default && DateTime.UtcNow < deadline);
        return seen;
    }

    [Fact]
    public async Task Deleting_a_session_logs_that_device_out()
    {
        var tokens = await _client.RegisterAsync();
        var phone = await _client.LoginAsync(tokens.Username);

        using var response = await app.CreateClient(tokens.AccessToken).DeleteAsync($"/sessions/{phone.SessionId}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await SessionsStatusAsync(phone.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await SessionsStatusAsync(tokens.AccessToken));
    }

    [Fact]
    public async Task Deleting_another_users_session_gets_404_and_leaves_it_alive()
    {
        var alice = await _client.RegisterAsync();
        var bob = await _client.RegisterAsync();

        using var response = await app.CreateClient(alice.AccessToken).DeleteAsync($"/sessions/{bob.SessionId}", TestContext.Current.CancellationToken);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, await SessionsStatusAsync(bob.AccessToken));
    }

    [Fact]
    public async Task Deleting_a_session_with_a_malformed_id_gets_404()
    {
        var tokens = await _client.RegisterAsync();

        using var response = await app.CreateClient(tokens.AccessToken).DeleteAsync("/sessions/not-a-guid", TestContext.Current.CancellationToken);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }
}
