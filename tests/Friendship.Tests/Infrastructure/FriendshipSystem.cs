using System.Net;
using System.Net.Http.Json;
using Messenger.Contracts.Friendships;
using Messenger.Testing;
using Messenger.Testing.Events;
using Messenger.Testing.Services;

namespace Friendship.Tests.Infrastructure;

/// <summary>
/// Auth, User and Friendship on real ports sharing one Redis key prefix and one event log, with a
/// recorder of what Friendship publishes. One per test class.
/// </summary>
public class FriendshipSystem(TestServers servers) : IAsyncLifetime
{
    private TestEventLog? eventLog;
    private ServiceApp<Auth.Api.IApiMarker>? auth;
    private ServiceApp<User.Api.IApiMarker>? users;
    private ServiceApp<Friendship.Api.IApiMarker>? friendship;

    public TestServers Servers => servers;

    public ServiceApp<Auth.Api.IApiMarker> Auth => auth ?? throw new InvalidOperationException("Not started.");

    public ServiceApp<User.Api.IApiMarker> Users => users ?? throw new InvalidOperationException("Not started.");

    public ServiceApp<Friendship.Api.IApiMarker> Friendship => friendship ?? throw new InvalidOperationException("Not started.");

    /// <summary>What Friendship published, as the Notification service would receive it.</summary>
    public EventRecorder Published { get; } = new();

    protected virtual TestEventLog CreateEventLog() => TestEventLog.Redis();

    public async ValueTask InitializeAsync()
    {
        eventLog = CreateEventLog();
        auth = eventLog.Configure(new ServiceApp<Auth.Api.IApiMarker>(servers, "auth"));
        await auth.InitializeAsync();
        users = eventLog.Configure(new ServiceApp<User.Api.IApiMarker>(servers, "users", auth.RedisPrefix).TrustingTokensOf(auth));
        await users.InitializeAsync();
        friendship = CreateFriendship(users.BaseAddress.ToString());
        await friendship.InitializeAsync();
    }

    /// <summary>A Friendship service of this system that asks the User service at <paramref name="userServiceAddress"/>.</summary>
    public ServiceApp<Friendship.Api.IApiMarker> CreateFriendship(string userServiceAddress, IDictionary<string, string?>? settings = null)
    {
        var app = eventLog!.Configure(new ServiceApp<Friendship.Api.IApiMarker>(servers, "friendships", Auth.RedisPrefix).TrustingTokensOf(Auth));
        app.Settings["Services:User"] = userServiceAddress;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            app.Settings[key] = value;
        }

        app.TestServices = services => Published.Subscribe(services)
            .Record<FriendRequestSent>()
            .Record<FriendRequestAccepted>()
            .Record<FriendRequestRejected>()
            .Record<FriendRequestCancelled>()
            .Record<FriendRemoved>();
        return app;
    }

    /// <summary>Registers through Auth and waits until User knows the profile (Friendship looks people up there).</summary>
    public async Task<Person> NewPersonAsync(string stem = "user", string? displayName = null)
    {
        var tokens = await Auth.CreateClient().RegisterAsync(AuthClient.NewUsername(stem), displayName: displayName);
        var person = new Person(tokens, Users.CreateClient(tokens.AccessToken), Friendship.CreateClient(tokens.AccessToken));
        await Eventually.UntilAsync(async () =>
        {
            using var response = await person.Users.GetAsync("/user/" + tokens.Username, TestContext.Current.CancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }, $"the profile of {tokens.Username}");
        return person;
    }

    /// <summary>Makes two people friends through the public routes.</summary>
    public async Task MakeFriendsAsync(Person a, Person b)
    {
        var request = await a.SendRequestAsync(b);
        using var accepted = await b.Friends.PostAsJsonAsync("/friends/accept", new { requestId = request.RequestId }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in new IAsyncDisposable?[] { friendship, users, auth })
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }

        eventLog?.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class KafkaFriendshipSystem(TestServers servers) : FriendshipSystem(servers)
{
    protected override TestEventLog CreateEventLog() => TestEventLog.Kafka();
}
