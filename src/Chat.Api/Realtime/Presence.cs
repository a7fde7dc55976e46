using System.Text.Json;
using Messenger.Contracts.Chat;
using Messenger.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Chat.Api.Realtime;

/// <summary>
/// Who is online and what they are looking at, in Redis under <see cref="PresenceKeys"/>: a
/// connection counter per user (expires unless refreshed, so a crashed instance cannot keep anyone
/// online for long), the last-seen time, and the set of conversations the user has open and
/// focused. Going online or offline is announced on <see cref="PresenceKeys.ChangesChannel"/>.
/// </summary>
internal sealed partial class Presence(
    IConnectionMultiplexer redis,
    RedisKeyspace keyspace,
    ConnectionRegistry registry,
    TimeProvider time,
    ILogger<Presence> logger) : BackgroundService
{
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);

    // Decrement and remove at zero in one step, so a connect on another instance cannot slip between.
    private const string DisconnectScript =
        "local n = redis.call('DECR', KEYS[1]) if n <= 0 then redis.call('DEL', KEYS[1]) end return n";

    // Refresh the counter; if it expired while the user stayed connected here, put this instance's count back.
    private const string RefreshScript =
        "if redis.call('EXPIRE', KEYS[1], ARGV[1]) == 0 then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[1]) end return 1";

    private static readonly RedisChannel Changes = RedisChannel.Literal(PresenceKeys.ChangesChannel);

    public async Task ConnectedAsync(Guid userId)
    {
        var db = redis.GetDatabase();
        var online = keyspace.Key(PresenceKeys.Online(userId));
        var count = await db.StringIncrementAsync(online);
        await db.KeyExpireAsync(online, Expiry);
        var now = await TouchAsync(db, userId);
        if (count == 1)
        {
            await PublishAsync(userId, online: true, now);
        }
    }

    public async Task DisconnectedAsync(ChatConnection connection)
    {
        var db = redis.GetDatabase();
        var count = (long)await db.ScriptEvaluateAsync(DisconnectScript, [keyspace.Key(PresenceKeys.Online(connection.UserId))]);
        var focused = connection.Focused;
        if (focused.Count > 0)
        {
            await db.SetRemoveAsync(keyspace.Key(PresenceKeys.Viewing(connection.UserId)), [.. focused.Select(c => (RedisValue)c.ToString())]);
        }

        var now = await TouchAsync(db, connection.UserId);
        if (count <= 0)
        {
            await PublishAsync(connection.UserId, online: false, now);
        }
    }

    /// <summary>The user has this conversation open and focused: notifications for it are held back.</summary>
    public async Task FocusAsync(Guid userId, Guid conversationId)
    {
        var db = redis.GetDatabase();
        var viewing = keyspace.Key(PresenceKeys.Viewing(userId));
        await db.SetAddAsync(viewing, conversationId.ToString());
        await db.KeyExpireAsync(viewing, Expiry);
    }

    public Task BlurAsync(Guid userId, Guid conversationId) =>
        redis.GetDatabase().SetRemoveAsync(keyspace.Key(PresenceKeys.Viewing(userId)), conversationId.ToString());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RefreshAsync();
                }
                catch (Exception ex) when (ex.IsRedisFailure())
                {
                    LogRefreshFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshAsync()
    {
        var db = redis.GetDatabase();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var seconds = (int)Expiry.TotalSeconds;
        var work = new List<Task>();
        foreach (var userId in registry.Users)
        {
            var connections = registry.For(userId);
            work.Add(db.ScriptEvaluateAsync(RefreshScript, [keyspace.Key(PresenceKeys.Online(userId))], [seconds, connections.Length]));
            work.Add(db.StringSetAsync(keyspace.Key(PresenceKeys.LastSeen(userId)), now));
            if (connections.Any(c => c.Focused.Count > 0))
            {
                work.Add(db.KeyExpireAsync(keyspace.Key(PresenceKeys.Viewing(userId)), Expiry));
            }
        }

        await Task.WhenAll(work);
    }

    private async Task<DateTimeOffset> TouchAsync(IDatabase db, Guid userId)
    {
        var now = time.GetUtcNow();
        await db.StringSetAsync(keyspace.Key(PresenceKeys.LastSeen(userId)), now.ToUnixTimeMilliseconds());
        return now;
    }

    private async Task PublishAsync(Guid userId, bool online, DateTimeOffset lastSeenAt) =>
        await redis.GetSubscriber().PublishAsync(Changes, JsonSerializer.Serialize(new PresenceChange(userId, online, lastSeenAt), ChatJsonContext.Default.PresenceChange));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence could not be refreshed in Redis")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}

/// <summary>The message on <see cref="PresenceKeys.ChangesChannel"/>.</summary>
internal sealed record PresenceChange(Guid UserId, bool Online, DateTimeOffset LastSeenAt);
