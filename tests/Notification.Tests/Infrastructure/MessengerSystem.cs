using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Testing;
using Messenger.Testing.Services;
using Npgsql;

namespace Notification.Tests.Infrastructure;

/// <summary>
/// The whole messenger behind the notifications: Auth, User, Friendship, Chat and Notification on real
/// ports, sharing one Redis key prefix and one event log, plus the test's push service. One per test class.
/// </summary>
public class MessengerSystem(TestServers servers) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> apps = [];
    private TestEventLog? eventLog;

    public ServiceApp<Auth.Api.IApiMarker> Auth { get; private set; } = null!;

    public ServiceApp<User.Api.IApiMarker> Users { get; private set; } = null!;

    public ServiceApp<Friendship.Api.IApiMarker> Friendship { get; private set; } = null!;

    public ServiceApp<Chat.Api.IApiMarker> Chat { get; private set; } = null!;

    public NotificationApp Notifications { get; private set; } = null!;

    public PushEndpoint Push { get; private set; } = null!;

    public TestEventLog EventLog => eventLog!;

    protected virtual TestEventLog CreateEventLog() => TestEventLog.Redis();

    /// <summary>The Redis every service uses; the shared test server unless a subclass brings its own.</summary>
    protected virtual string RedisConnectionString => servers.Redis.ConnectionString;

    public virtual async ValueTask InitializeAsync()
    {
        eventLog = CreateEventLog();
        Push = await PushEndpoint.StartAsync();
        Auth = new ServiceApp<Auth.Api.IApiMarker>(servers, "auth");
        await StartAsync(Auth);
        Users = new ServiceApp<User.Api.IApiMarker>(servers, "users", Auth.RedisPrefix).TrustingTokensOf(Auth);
        await StartAsync(Users);
        Friendship = new ServiceApp<Friendship.Api.IApiMarker>(servers, "friendships", Auth.RedisPrefix).TrustingTokensOf(Auth);
        Friendship.Settings["Services:User"] = Users.BaseAddress.ToString();
        await StartAsync(Friendship);
        Chat = new ServiceApp<Chat.Api.IApiMarker>(servers, "chat", Auth.RedisPrefix).TrustingTokensOf(Auth);
        await StartAsync(Chat);
        Notifications = new NotificationApp(servers, Auth.RedisPrefix);
        Notifications.TrustingTokensOf(Auth);
        foreach (var (key, value) in NotificationSystem.TestSettings)
        {
            Notifications.Settings[key] = value;
        }

        await StartAsync(Notifications);
    }

    private async Task StartAsync<T>(ServiceApp<T> app) where T : class
    {
        eventLog!.Configure(app);
        app.Settings["ConnectionStrings:redis"] = RedisConnectionString;
        // The producers' relays and the consumers retry quickly after an outage, so tests need not wait long.
        app.Settings["EventBus:Outbox:MaxBackoff"] = "00:00:01";
        app.Settings["EventBus:Consumer:MaxRetryDelay"] = "00:00:01";
        apps.Add(app);
        await app.InitializeAsync();
    }

    /// <summary>Registers a user and waits until User and Chat know them (both learn it from the event log).</summary>
    public async Task<Tokens> NewUserAsync(string stem)
    {
        var tokens = await Auth.CreateClient().RegisterAsync(AuthClient.NewUsername(stem));
        await Eventually.UntilAsync(async () =>
        {
            using var response = await Users.CreateClient(tokens.AccessToken).GetAsync("/user/" + tokens.Username, TestContext.Current.CancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }, $"User to know {tokens.Username}");
        await using var connection = new NpgsqlConnection(Chat.DatabaseConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await Eventually.UntilAsync(async () =>
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM users WHERE id = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tokens.UserId });
            return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))! == 1;
        }, $"Chat to know {tokens.Username}");
        return tokens;
    }

    public async Task<Guid> DirectConversationAsync(Tokens me, Tokens other)
    {
        using var response = await Chat.CreateClient(me.AccessToken).PostAsJsonAsync("/chat", new { type = "direct", userId = other.UserId }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"Opening a direct conversation answered {(int)response.StatusCode}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("conversationId").GetGuid();
    }

    public async Task<Guid> GroupAsync(Tokens owner, string title, params Tokens[] members)
    {
        using var response = await Chat.CreateClient(owner.AccessToken).PostAsJsonAsync("/chat",
            new { type = "group", title, memberIds = members.Select(m => m.UserId) }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("conversationId").GetGuid();
    }

    public Task<ChatClient> ConnectChatAsync(Tokens user) => ChatClient.ConnectAsync(Chat, user);

    public Task<SseClient> StreamAsync(Tokens user) => SseClient.ConnectAsync(Notifications.BaseAddress, user.AccessToken);

    public async Task<List<JsonElement>> NotificationsOfAsync(Tokens user)
    {
        var body = await Notifications.CreateClient(user.AccessToken).GetFromJsonAsync<JsonElement>("/notifications", TestContext.Current.CancellationToken);
        return [.. body.GetProperty("items").EnumerateArray()];
    }

    public async Task<BrowserSubscription> SubscribeAsync(Tokens user)
    {
        var browser = Push.NewSubscription();
        using var response = await Notifications.CreateClient(user.AccessToken)
            .PostAsJsonAsync("/notifications/push-subscriptions", browser.ToJson(), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return browser;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(apps))
        {
            await app.DisposeAsync();
        }

        if (Push is not null)
        {
            await Push.DisposeAsync();
        }

        eventLog?.Dispose();
        await DisposeServersAsync();
        GC.SuppressFinalize(this);
    }

    protected virtual ValueTask DisposeServersAsync() => ValueTask.CompletedTask;
}

public sealed class KafkaMessengerSystem(TestServers servers) : MessengerSystem(servers)
{
    protected override TestEventLog CreateEventLog() => TestEventLog.Kafka();
}

/// <summary>The messenger on a Redis server of its own, which a test may stop and start again (the Redis Streams event log's outage).</summary>
public sealed class PrivateRedisMessengerSystem(TestServers servers) : MessengerSystem(servers)
{
    public RedisServer Redis { get; private set; } = null!;

    protected override string RedisConnectionString => Redis.ConnectionString;

    public override async ValueTask InitializeAsync()
    {
        Redis = await RedisServer.StartAsync(TestContext.Current.CancellationToken);
        await base.InitializeAsync();
    }

    protected override ValueTask DisposeServersAsync() => Redis?.DisposeAsync() ?? ValueTask.CompletedTask;
}
