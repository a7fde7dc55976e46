using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Friendship.Tests.Infrastructure;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Friendship.Tests;

/// <summary>
/// Friendship asks User over HTTP. When User is down, unreachable or stuck, a caller gets a quick
/// 503 with Retry-After (time limits, retries and a circuit breaker), never a hang or a 500; routes
/// that need no lookup keep working.
/// </summary>
public sealed class UserOutageTests(FriendshipSystem system) : IClassFixture<FriendshipSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_User_unreachable_lookups_answer_503_with_Retry_After_and_other_routes_work()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await using var friendship = system.CreateFriendship($"http://127.0.0.1:{LoopbackPorts.Unused()}");
        await friendship.InitializeAsync();
        using var client = friendship.CreateClient(alice.Tokens.AccessToken);

        using var request = await client.PostAsJsonAsync("/friends/request", new { username = bob.Username }, Cancellation);
        using var list = await client.GetAsync($"/friends/{alice.Id}", Cancellation);
        using var requests = await client.GetAsync("/friends/requests", Cancellation);

        await AssertUnavailableAsync(request);
        await AssertUnavailableAsync(list);
        Assert.Equal(HttpStatusCode.OK, requests.StatusCode);
    }

    [Fact]
    public async Task When_User_stops_the_next_lookup_answers_503()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var carol = await system.NewPersonAsync();
        // A second instance of User on the same database, which this test may stop.
        var users = new ServiceApp<User.Api.IApiMarker>(system.Servers, "users", system.Auth.RedisPrefix).TrustingTokensOf(system.Auth);
        users.Settings["ConnectionStrings:users"] = system.Users.DatabaseConnectionString;
        await users.InitializeAsync();
        await using var friendship = system.CreateFriendship(users.BaseAddress.ToString());
        await friendship.InitializeAsync();
        using var client = friendship.CreateClient(alice.Tokens.AccessToken);
        using var beforeStop = await client.PostAsJsonAsync("/friends/request", new { username = bob.Username }, Cancellation);

        await users.DisposeAsync();
        using var afterStop = await client.PostAsJsonAsync("/friends/request", new { username = carol.Username }, Cancellation);

        Assert.Equal(HttpStatusCode.Created, beforeStop.StatusCode);
        await AssertUnavailableAsync(afterStop);
    }

    [Fact]
    public async Task When_User_accepts_connections_but_never_answers_the_time_limit_gives_503()
    {
        var alice = await system.NewPersonAsync();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            while (!Cancellation.IsCancellationRequested)
            {
                held.Add(await silent.AcceptSocketAsync(Cancellation));
            }
        }, Cancellation);
        await using var friendship = system.CreateFriendship(
            $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}",
            new Dictionary<string, string?> { ["Services:UserAttemptTimeout"] = "00:00:00.300", ["Services:UserTotalTimeout"] = "00:00:01" });
        await friendship.InitializeAsync();
        using var client = friendship.CreateClient(alice.Tokens.AccessToken);

        using var response = await client.GetAsync($"/friends/{alice.Id}", Cancellation);

        await AssertUnavailableAsync(response);
        Assert.NotEmpty(held);
        silent.Stop();
        held.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task After_repeated_failures_the_circuit_opens_and_User_is_left_alone()
    {
        var alice = await system.NewPersonAsync();
        // A User that hangs up on every connection: each try fails at once and is counted here.
        using var rude = new TcpListener(IPAddress.Loopback, 0);
        rude.Start();
        var connections = 0;
        var accepting = Task.Run(async () =>
        {
            while (!Cancellation.IsCancellationRequested)
            {
                using var socket = await rude.AcceptSocketAsync(Cancellation);
                Interlocked.Increment(ref connections);
                socket.Close(0);
            }
        }, Cancellation);
        await using var friendship = system.CreateFriendship($"http://127.0.0.1:{((IPEndPoint)rude.LocalEndpoint).Port}");
        await friendship.InitializeAsync();
        using var client = friendship.CreateClient(alice.Tokens.AccessToken);

        for (var i = 0; i < 10; i++)
        {
            using var failing = await client.GetAsync($"/friends/{alice.Id}", Cancellation);
            await AssertUnavailableAsync(failing);
        }

        var connectionsWhenOpen = Volatile.Read(ref connections);
        for (var i = 0; i < 5; i++)
        {
            using var shortCircuited = await client.GetAsync($"/friends/{alice.Id}", Cancellation);
            await AssertUnavailableAsync(shortCircuited);
        }

        Assert.InRange(connectionsWhenOpen, 10, 30);
        Assert.Equal(connectionsWhenOpen, Volatile.Read(ref connections));
        rude.Stop();
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a 503 says when to retry");
    }
}
