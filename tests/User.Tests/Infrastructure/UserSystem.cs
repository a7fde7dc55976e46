using System.Net;
using System.Net.Http.Json;
using Messenger.Contracts;
using Messenger.Contracts.Users;
using Messenger.EventBus.Transport;
using Messenger.Testing;
using Messenger.Testing.Events;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;

namespace User.Tests.Infrastructure;

/// <summary>
/// Auth and User on real ports, sharing one Redis key prefix and one event log, with a recorder of
/// what User publishes. One per test class.
/// </summary>
public class UserSystem(TestServers servers) : IAsyncLifetime
{
    private TestEventLog? eventLog;
    private ServiceApp<Auth.Api.IApiMarker>? auth;
    private ServiceApp<User.Api.IApiMarker>? users;

    public ServiceApp<Auth.Api.IApiMarker> Auth => auth ?? throw new InvalidOperationException("Not started.");

    public ServiceApp<User.Api.IApiMarker> Users => users ?? throw new InvalidOperationException("Not started.");

    /// <summary>What User published, as a consumer in another service receives it.</summary>
    public EventRecorder Published { get; } = new();

    protected virtual TestEventLog CreateEventLog() => TestEventLog.Redis();

    public async ValueTask InitializeAsync()
    {
        eventLog = CreateEventLog();
        auth = eventLog.Configure(new ServiceApp<Auth.Api.IApiMarker>(servers, "auth"));
        await auth.InitializeAsync();
        users = eventLog.Configure(new ServiceApp<User.Api.IApiMarker>(servers, "users", auth.RedisPrefix).TrustingTokensOf(auth));
        users.TestServices = services => Published.Subscribe(services)
            .Record<UserProfileUpdated>()
            .Record<UserBlocked>()
            .Record<UserUnblocked>();
        await users.InitializeAsync();
    }

    /// <summary>Registers through Auth and waits until User shows the profile.</summary>
    public async Task<TestUser> NewUserAsync(string stem = "user", string? displayName = null)
    {
        var tokens = await Auth.CreateClient().RegisterAsync(AuthClient.NewUsername(stem), displayName: displayName);
        var user = new TestUser(tokens, Users.CreateClient(tokens.AccessToken));
        await user.WaitForProfileAsync(user);
        return user;
    }

    /// <summary>Puts an event on the log as its producing service would (used to arrange Friendship's graph).</summary>
    /// <summary>Puts an event on the event log as its producing service would; returns its event id.</summary>
    public async Task<Guid> PublishAsync<TEvent>(TEvent @event) where TEvent : IIntegrationEvent
    {
        var envelope = EventEnvelope.Create(@event, DateTimeOffset.UtcNow);
        var message = new TransportMessage(TEvent.Topic, @event.PartitionKey, envelope.Id, envelope.Type, envelope.ToUtf8Bytes());
        await Users.Services.GetRequiredService<IEventPublisherTransport>().PublishAsync([message], TestContext.Current.CancellationToken);
        return envelope.Id;
    }

    /// <summary>Waits until User has handled the event <paramref name="eventId"/> (its idempotency record is written with the change).</summary>
    public async Task WaitUntilHandledAsync(Guid eventId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Users.DatabaseConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await Eventually.UntilAsync(async () =>
        {
            await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM processed_events WHERE event_id = $1", connection);
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = eventId });
            return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))! > 0;
        }, $"User to handle event {eventId}");
    }

    public async ValueTask DisposeAsync()
    {
        if (users is not null)
        {
            await users.DisposeAsync();
        }

        if (auth is not null)
        {
            await auth.DisposeAsync();
        }

        eventLog?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A registered user and a client of the User service carrying their token.</summary>
public sealed record TestUser(Tokens Tokens, HttpClient Client)
{
    public Guid Id => Tokens.UserId;

    public string Username => Tokens.Username;

    public async Task<HttpResponseMessage> GetProfileAsync(string username) =>
        await Client.GetAsync("/user/" + username, TestContext.Current.CancellationToken);

    /// <summary>Polls (as <paramref name="viewer"/>) until the profile of this user exists.</summary>
    public Task WaitForProfileAsync(TestUser viewer) =>
        Eventually.UntilAsync(async () =>
        {
            using var response = await viewer.GetProfileAsync(Username);
            return response.StatusCode == HttpStatusCode.OK;
        }, $"the profile of {Username}");

    public async Task<ProfileBody> ReadProfileAsync(string? username = null)
    {
        using var response = await GetProfileAsync(username ?? Username);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ProfileBody>(TestContext.Current.CancellationToken))!;
    }
}

/// <summary>A profile as a client reads it (DESIGN §3a), with the owner-only fields.</summary>
public sealed record ProfileBody(
    Guid UserId, string Username, string DisplayName, string? Bio, string? AvatarUrl, DateTimeOffset CreatedAt,
    PrivacyBody? Privacy, DateTimeOffset? UpdatedAt);

public sealed record PrivacyBody(string SearchableBy, string FriendRequestsFrom, string FriendListVisibleTo);

public sealed record PageBody<T>(List<T> Items, string? NextCursor);
