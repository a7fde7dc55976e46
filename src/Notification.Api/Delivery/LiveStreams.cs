using System.Collections.Concurrent;
using System.Globalization;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;
using Notification.Api.Extensions;
using StackExchange.Redis;

namespace Notification.Api.Delivery;

/// <summary>
/// The notification streams open on this instance. The first stream of a user subscribes to the
/// user's channel and the last one leaving unsubscribes, so an instance hears only about its own
/// users. Every stream is also listed in Redis (a sorted set per user, scored by expiry and refreshed
/// with each heartbeat), which tells the push sender on any instance whether the user is reachable live.
/// </summary>
internal sealed partial class LiveStreams(
    IConnectionMultiplexer redis,
    RedisKeyspace keyspace,
    ISessionRevocations revocations,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<LiveStreams> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, UserStreams> users = new();
    private readonly string instance = Guid.NewGuid().ToString("N")[..12];
    private readonly StreamOptions settings = options.Value.Stream;

    /// <summary>A stream is counted as live this long after its last heartbeat.</summary>
    private TimeSpan LiveFor => settings.HeartbeatInterval * 2 + TimeSpan.FromSeconds(5);

    public int Count => users.Values.Sum(u => u.Streams.Length);

    /// <summary>Registers a stream: from now on it receives every change of the user's notifications.</summary>
    public async Task<LiveStream> OpenAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken)
    {
        var stream = new LiveStream(userId, sessionId, instance + ":" + Guid.NewGuid().ToString("N"), settings.BufferSize);
        while (true)
        {
            var entry = users.GetOrAdd(userId, _ => new UserStreams());
            await entry.Gate.WaitAsync(cancellationToken);
            try
            {
                if (entry.Retired)
                {
                    continue;
                }

                if (entry.Streams.Length == 0)
                {
                    await redis.GetSubscriber().SubscribeAsync(Channel(userId), (_, message) => Deliver(userId, message));
                }

                entry.Streams = [.. entry.Streams, stream];
                break;
            }
            finally
            {
                entry.Gate.Release();
            }
        }

        try
        {
            await MarkLiveAsync([stream]);
        }
        catch
        {
            await CloseAsync(stream);
            throw;
        }

        return stream;
    }

    public async Task CloseAsync(LiveStream stream)
    {
        if (users.TryGetValue(stream.UserId, out var entry))
        {
            await entry.Gate.WaitAsync(CancellationToken.None);
            try
            {
                entry.Streams = [.. entry.Streams.Where(s => s != stream)];
                if (entry.Streams.Length == 0 && !entry.Retired)
                {
                    entry.Retired = true;
                    users.TryRemove(new KeyValuePair<Guid, UserStreams>(stream.UserId, entry));
                    await IgnoreRedisErrors(() => redis.GetSubscriber().UnsubscribeAsync(Channel(stream.UserId)));
                }
            }
            finally
            {
                entry.Gate.Release();
            }
        }

        await IgnoreRedisErrors(() => redis.GetDatabase().SortedSetRemoveAsync(keyspace.Key(LiveNames.LiveStreams(stream.UserId)), stream.Id));
        stream.Dispose();
    }

    /// <summary>How many streams of the user are open on any instance.</summary>
    public async Task<long> CountLiveAsync(Guid userId) =>
        await redis.GetDatabase().SortedSetLengthAsync(
            keyspace.Key(LiveNames.LiveStreams(userId)), min: time.GetUtcNow().ToUnixTimeMilliseconds(), max: double.PositiveInfinity);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await SubscribeToRevocationsAsync(stoppingToken);
        using var timer = new PeriodicTimer(settings.HeartbeatInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var streams = users.Values.SelectMany(u => u.Streams).ToList();
                foreach (var stream in streams)
                {
                    stream.Offer(LiveItem.Heartbeat);
                }

                try
                {
                    await MarkLiveAsync(streams);
                }
                catch (Exception ex) when (ex.IsRedisFailure())
                {
                    LogHeartbeatFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Ends the streams of revoked sessions, whichever instance revoked them.</summary>
    private async Task SubscribeToRevocationsAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await revocations.SubscribeAsync(EndSession);
                return;
            }
            catch (Exception ex) when (ex.IsRedisFailure())
            {
                LogRevocationSubscribeFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt)), time, stoppingToken);
            }
        }
    }

    private void EndSession(Guid sessionId)
    {
        foreach (var stream in users.Values.SelectMany(u => u.Streams).Where(s => s.SessionId == sessionId))
        {
            stream.End();
        }
    }

    private void Deliver(Guid userId, RedisValue message)
    {
        var text = (string?)message;
        var newline = text?.IndexOf('\n', StringComparison.Ordinal) ?? -1;
        if (newline <= 0 || !long.TryParse(text.AsSpan(0, newline), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            LogMalformedChange(logger, userId);
            return;
        }

        var item = new LiveItem(seq, text![(newline + 1)..]);
        if (users.TryGetValue(userId, out var entry))
        {
            foreach (var stream in entry.Streams)
            {
                stream.Offer(item);
            }
        }
    }

    private async Task MarkLiveAsync(List<LiveStream> streams)
    {
        if (streams.Count == 0)
        {
            return;
        }

        var expiresAt = (time.GetUtcNow() + LiveFor).ToUnixTimeMilliseconds();
        var db = redis.GetDatabase();
        var work = new List<Task>();
        foreach (var group in streams.GroupBy(s => s.UserId))
        {
            var key = keyspace.Key(LiveNames.LiveStreams(group.Key));
            work.Add(db.SortedSetAddAsync(key, [.. group.Select(s => new SortedSetEntry(s.Id, expiresAt))]));
            // Entries of crashed instances are never removed one by one: they expire by score, and so does the key.
            work.Add(db.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, time.GetUtcNow().ToUnixTimeMilliseconds(), Exclude.Stop));
            work.Add(db.KeyExpireAsync(key, LiveFor));
        }

        await Task.WhenAll(work);
    }

    private static RedisChannel Channel(Guid userId) => RedisChannel.Literal(LiveNames.UserChannel(userId));

    private static async Task IgnoreRedisErrors(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            // Best effort: the live entry expires by itself and a stale subscription only costs a message.
        }
    }

    private sealed class UserStreams
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public LiveStream[] Streams { get; set; } = [];

        /// <summary>Set when the last stream left and the entry was removed; an opener that raced with that starts over.</summary>
        public bool Retired { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live streams could not be refreshed in Redis")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to session revocations; retrying")]
    private static partial void LogRevocationSubscribeFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a malformed change on the channel of user {UserId}")]
    private static partial void LogMalformedChange(ILogger logger, Guid userId);
}
