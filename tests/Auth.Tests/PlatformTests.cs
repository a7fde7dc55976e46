using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auth.Tests.Infrastructure;
using Messenger.Testing.Services;
using StackExchange.Redis;

namespace Auth.Tests;

/// <summary>Health, OpenAPI, the UserRegistered event and errors outside any route.</summary>
public sealed class PlatformTests(AuthApp app) : IClassFixture<AuthApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Registering_publishes_UserRegistered_on_the_auth_users_log()
    {
        var username = AuthClient.NewUsername();
        var tokens = await _client.RegisterAsync(username, email: $"{username}@example.org");

        await using var redis = await ConnectionMultiplexer.ConnectAsync(app.Servers.Redis.ConnectionString);
        var stream = new RedisKey(app.RedisPrefix + "auth.users");
        JsonElement? envelope = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (envelope is null && DateTime.UtcNow < deadline)
        {
            foreach (var entry in await redis.GetDatabase().StreamRangeAsync(stream))
            {
                var candidate = JsonDocument.Parse((string)entry["body"]!).RootElement;
                if (candidate.GetProperty("data").GetProperty("userId").GetGuid() == tokens.UserId)
                {
                    envelope = candidate;
                    Assert.Equal(tokens.UserId.ToString(), (string)entry["key"]!);
                }
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.NotNull(envelope);
        Assert.Equal("UserRegistered", envelope.Value.GetProperty("type").GetString());
        Assert.Equal(1, envelope.Value.GetProperty("version").GetInt32());
        Assert.NotEqual(Guid.Empty, envelope.Value.GetProperty("id").GetGuid());
        var data = envelope.Value.GetProperty("data");
        Assert.Equal(username, data.GetProperty("username").GetString());
        Assert.Equal($"{username}@example.org", data.GetProperty("email").GetString());
    }

    [Fact]
    public async Task Readiness_checks_postgres_and_redis()
    {
        var health = await _client.GetFromJsonAsync<JsonElement>("/health/ready", TestContext.Current.CancellationToken);

        Assert.Equal("Healthy", health.GetProperty("status").GetString());
        var checks = health.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("postgres", checks);
        Assert.Contains("redis", checks);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_every_auth_route()
    {
        var document = await _client.GetFromJsonAsync<JsonElement>("/openapi/v1.json", TestContext.Current.CancellationToken);

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.All(new[] { "/register", "/login", "/oauth", "/logout", "/token/refresh", "/sessions", "/sessions/{id}", "/.well-known/jwks.json" },
            route => Assert.Contains(route, paths));
    }

    [Fact]
    public async Task An_unknown_route_gets_a_404_problem()
    {
        using var response = await _client.GetAsync("/no/such/route", TestContext.Current.CancellationToken);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_wrong_method_gets_a_405_problem()
    {
        using var response = await _client.GetAsync("/register", TestContext.Current.CancellationToken);

        await response.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
    }
}
