using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Contracts;
using Messenger.Contracts.Chat;
using Messenger.EventBus.Outbox;
using Messenger.EventBus.Transport;
using Messenger.Testing;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Notification.Tests.Infrastructure;

/// <summary>The Notification service on a real port; further instances share the first one's database.</summary>
public sealed class NotificationApp(TestServers servers, string? redisPrefix) : ServiceApp<Notification.Api.IApiMarker>(servers, "notifications", redisPrefix);

/// <summary>
/// Auth (issues tokens) and Notification sharing one Redis key prefix and one event log (Redis Streams
/// unless a subclass says Kafka), a push service of the test's own, and helpers to put events on the
/// log as Chat and Friendship would. One per test class.
/// </summary>
public class NotificationSystem(TestServers servers) : IAsyncLifetime
{
    private readonly List<NotificationApp> instances = [];
    private TestEventLog? eventLog;
    private ConnectionMultiplexer? redis;

    public TestServers Servers => servers;

    public ServiceApp<Auth.Api.IApiMarker> Auth { get; private set; } = null!;

    /// <summary>The first Notification instance.</summary>
    public NotificationApp Notifications => instances[0];

    public PushEndpoint Push { get; private set; } = null!;

    public string Transport => eventLog!.Transport;

    protected virtual TestEventLog CreateEventLog() => TestEventLog.Redis();

    public async ValueTask InitializeAsync()
    {
        eventLog = CreateEventLog();
        Push = await PushEndpoint.StartAsync();
        Auth = eventLog.Configure(new ServiceApp<Auth.Api.IApiMarker>(servers, "auth"));
        await Auth.InitializeAsync();
        await StartNotificationAsync();
        redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString);
    }

    /// <summary>Starts a Notification instance; all instances share the database, the prefix and the consumer group.</summary>
    public async Task<NotificationApp> StartNotificationAsync()
    {
        var app = new NotificationApp(servers, Auth.RedisPrefix);
        eventLog!.Configure(app).TrustingTokensOf(Auth);
        foreach (var (key, value) in TestSettings)
        {
            app.Settings[key] = value;
        }

        if (instances.Count > 0)
        {
            app.Settings["ConnectionStrings:notifications"] = instances[0].DatabaseConnectionString;
        }

        await app.InitializeAsync();
        instances.Add(app);
        return app;
    }

    /// <summary>Short intervals, so heartbeats and retries happen within a test, and a small replay bound.</summary>
    public static IReadOnlyDictionary<string, string?> TestSettings { get; } = new Dictionary<string, string?>
    {
        ["Notifications:Stream:HeartbeatInterval"] = "00:00:01",
        ["Notifications:Stream:ReplayLimit"] = "5",
        ["Notifications:Push:PollInterval"] = "00:00:00.200",
        ["Notifications:Push:InitialRetryDelay"] = "00:00:00.200",
        ["EventBus:Consumer:InitialRetryDelay"] = "00:00:00.050",
    };

    public Task<Tokens> NewUserAsync(string stem = "user") => Auth.CreateClient().RegisterAsync(AuthClient.NewUsername(stem));

    public HttpClient Client(Tokens user, NotificationApp? instance = null) => (instance ?? Notifications).CreateClient(user.AccessToken);

    public Task<SseClient> StreamAsync(Tokens user, NotificationApp? instance = null, string? lastEventId = null) =>
        SseClient.ConnectAsync((instance ?? Notifications).BaseAddress, user.AccessToken, lastEventId);

    /// <summary>Puts an event on the event log as its producer would; returns the envelope's id.</summary>
    public async Task<Guid> PublishAsync<TEvent>(TEvent @event, Guid? eventId = null) where TEvent : IIntegrationEvent
    {
        var row = OutboxWriter.CreateRow(@event, eventId: eventId);
        await PublishRowAsync(row);
        return row.EventId;
    }

    /// <summary>Publishes the very same envelope (same id, same bytes) <paramref name="times"/> times, as a redelivery would.</summary>
    public async Task PublishRepeatedlyAsync<TEvent>(TEvent @event, int times) where TEvent : IIntegrationEvent
    {
        var row = OutboxWriter.CreateRow(@event);
        for (var i = 0; i < times; i++)
        {
            await PublishRowAsync(row);
        }
    }

    /// <summary>Puts events on the event log in one write, so a consumer reads them together; a row given twice is a redelivery inside the burst.</summary>
    public Task PublishTogetherAsync(IReadOnlyList<OutboxRow> rows) =>
        Notifications.Services.GetRequiredService<IEventPublisherTransport>()
            .PublishAsync([.. rows.Select(row => new TransportMessage(row.Topic, row.Key, row.EventId, row.Type, row.Payload))], TestContext.Current.CancellationToken);

    private Task PublishRowAsync(OutboxRow row) =>
        Notifications.Services.GetRequiredService<IEventPublisherTransport>()
            .PublishAsync([new TransportMessage(row.Topic, row.Key, row.EventId, row.Type, row.Payload)], TestContext.Current.CancellationToken);

    /// <summary>Marks a conversation as open and focused for <paramref name="user"/>, exactly as Chat records it.</summary>
    public Task ViewAsync(Tokens user, Guid conversationId) =>
        redis!.GetDatabase().SetAddAsync(Auth.RedisPrefix + PresenceKeys.Viewing(user.UserId), conversationId.ToString());

    /// <summary>A message event as Chat publishes it.</summary>
    public static MessageSent Message(Guid conversationId, long seq, Tokens sender, string text, params Tokens[] others) => new(
        conversationId,
        others.Length > 1 ? "group" : "direct",
        others.Length > 1 ? "the group" : null,
        Guid.CreateVersion7(),
        seq,
        sender.UserId,
        sender.Username,
        "text",
        text,
        [sender.UserId, .. others.Select(o => o.UserId)],
        DateTimeOffset.UtcNow);

    public async Task<List<JsonElement>> ListAsync(Tokens user, string query = "")
    {
        using var response = await Client(user).GetAsync("/notifications" + query, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return [.. body.GetProperty("items").EnumerateArray()];
    }

    /// <summary>Waits until the user's list holds a notification that matches, and returns it.</summary>
    public async Task<JsonElement> WaitForNotificationAsync(Tokens user, Func<JsonElement, bool> match, string what)
    {
        var items = await Eventually.GetAsync(() => ListAsync(user), list => list.Any(match), what);
        return items.First(match);
    }

    /// <summary>Registers a browser subscription of the test push service for <paramref name="user"/>.</summary>
    public async Task<(BrowserSubscription Browser, Guid Id)> SubscribeAsync(Tokens user)
    {
        var browser = Push.NewSubscription();
        using var response = await Client(user).PostAsJsonAsync("/notifications/push-subscriptions", browser.ToJson(), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return (browser, body.GetProperty("id").GetGuid());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(instances))
        {
            await app.DisposeAsync();
        }

        if (Auth is not null)
        {
            await Auth.DisposeAsync();
        }

        if (Push is not null)
        {
            await Push.DisposeAsync();
        }

        redis?.Dispose();
        eventLog?.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class KafkaNotificationSystem(TestServers servers) : NotificationSystem(servers)
{
    protected override TestEventLog CreateEventLog() => TestEventLog.Kafka();
}
