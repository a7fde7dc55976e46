using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auth.Tests.Infrastructure;
using Messenger.Testing.Services;
using StackExchange.Redis;

namespace Auth.Tests;

/// <summary>DELETE /account: confirmed by the password, ends every session, removes credentials, announces UserDeleted.</summary>
public sealed class AccountDeletionTests(AuthApp app) : IClassFixture<AuthApp>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private HttpClient ClientFrom(string address)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return client;
    }

    private static string NewAddress() => $"10.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";

    private static Task<HttpResponseMessage> DeleteAccountAsync(HttpClient client, object? body)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, "/account") { Content = body is null ? null : JsonContent.Create(body) };
        return client.SendAsync(request, Cancellation);
    }

    [Fact]
    public async Task Deleting_with_a_wrong_password_gets_403_and_the_account_keeps_working()
    {
        var username = AuthClient.NewUsername("keep");
        var tokens = await app.CreateClient().RegisterAsync(username);
        var client = ClientFrom(NewAddress());
        client.DefaultRequestHeaders.Authorization = new("Bearer", tokens.AccessToken);

        using var wrong = await DeleteAccountAsync(client, new { password = "not the password" });
        using var missing = await DeleteAccountAsync(client, null);

        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        using var sessions = await app.CreateClient(tokens.AccessToken).GetAsync("/sessions", Cancellation);
        Assert.Equal(HttpStatusCode.OK, sessions.StatusCode);
        await app.CreateClient().LoginAsync(username);
    }

    [Fact]
    public async Task Deleting_ends_every_session_removes_the_password_keeps_the_name_taken_and_publishes_UserDeleted()
    {
        var username = AuthClient.NewUsername("gone");
        var first = await app.CreateClient().RegisterAsync(username, email: $"{username}@example.org");
        var second = await app.CreateClient().LoginAsync(username);

        using var deleted = await DeleteAccountAsync(app.CreateClient(first.AccessToken), new { password = AuthClient.Password });

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        foreach (var tokens in new[] { first, second })
        {
            using var sessions = await app.CreateClient(tokens.AccessToken).GetAsync("/sessions", Cancellation);
            Assert.Equal(HttpStatusCode.Unauthorized, sessions.StatusCode);
            using var refreshed = await app.CreateClient().PostAsJsonAsync("/token/refresh", new { refreshToken = tokens.RefreshToken }, Cancellation);
            Assert.Equal(HttpStatusCode.Unauthorized, refreshed.StatusCode);
        }

        using var login = await ClientFrom(NewAddress()).PostAsJsonAsync("/login", new { username, password = AuthClient.Password }, Cancellation);
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        using var byEmail = await ClientFrom(NewAddress()).PostAsJsonAsync("/login", new { username = $"{username}@example.org", password = AuthClient.Password }, Cancellation);
        Assert.Equal(HttpStatusCode.Unauthorized, byEmail.StatusCode);
        using var again = await app.CreateClient().PostAsJsonAsync("/register", new { username, password = AuthClient.Password }, Cancellation);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        // The e-mail address is released with the rest of the personal data.
        await app.CreateClient().RegisterAsync(AuthClient.NewUsername("heir"), email: $"{username}@example.org");

        var envelope = await ReadEventAsync("UserDeleted", first.UserId);
        Assert.Equal(first.UserId.ToString(), envelope.GetProperty("data").GetProperty("userId").GetString());
    }

    private async Task<JsonElement> ReadEventAsync(string type, Guid userId)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(app.Servers.Redis.ConnectionString);
        var stream = new RedisKey(app.RedisPrefix + "auth.users");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var entry in await redis.GetDatabase().StreamRangeAsync(stream))
            {
                var envelope = JsonDocument.Parse((string)entry["body"]!).RootElement;
                if (envelope.GetProperty("type").GetString() == type && envelope.GetProperty("data").GetProperty("userId").GetGuid() == userId)
                {
                    Assert.Equal(userId.ToString(), (string)entry["key"]!);
                    return envelope;
                }
            }

            await Task.Delay(50, Cancellation);
        }

        Assert.Fail($"No {type} event for {userId} on auth.users.");
        return default;
    }
}
