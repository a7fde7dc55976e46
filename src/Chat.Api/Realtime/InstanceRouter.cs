using System.Net.WebSockets;
using System.Threading.Channels;
using Chat.Api.Extensions;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.Api.Realtime;

/// <summary>
/// Carries frames to recipients connected to other Chat instances. Each instance listens on its
/// own Redis channel and records, per connected user, that it holds a socket of theirs (a set per
/// user with expiry, refreshed while connected). A batch of deliveries costs one pipelined lookup
/// of the recipients' instances and one publish per instance that has any of them. While no other
/// instance is alive (a sorted set of heartbeats, plus an announcement when one starts) nothing is
/// sent to Redis at all, so a single instance pays nothing for being able to scale out. A batch
/// Redis refuses is retried (to the instances it did not reach) until Redis takes it; frames that
/// are dropped all the same (the queue full, a batch that cannot be sent) make their recipients'
/// instances close those users' sockets once Redis works, so the clients reconnect and sync.
/// </summary>
internal sealed partial class InstanceRouter(
    IConnectionMultiplexer redis,
    RedisKeyspace keyspace,
    ConnectionRegistry registry,
    IOptions<ChatOptions> options,
    ILogger<InstanceRouter> logger) : IHostedService, IDisposable
{
    private const int MaxForwardBatch = 2_000;

    // Beyond this many users with dropped frames, every socket on the other instances is resynced.
    private const int MaxUsersToResync = 50_000;

    // Seeing no other instance this many beats in a row (longer than an entry lives) means there is none:
    // one lonely beat may only mean the others have not beaten since Redis came back.
    private const int LonelyBeatsBeforeAlone = 5;
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan InstanceExpiry = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RouteExpiry = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan SubscriptionProbeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RouteRefreshInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);
    private static readonly RedisChannel JoinedChannel = RedisChannel.Literal("chat:instance-joined");
    private static readonly RedisChannel ResyncChannel = RedisChannel.Literal("chat:instance-resync");

    private readonly Channel<Delivery> forwards = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(options.Value.ForwardQueueFrames)
    {
        SingleReader = true,
        // TryWrite never waits: it returns false when the queue is full (in DropWrite mode it would
        // return true for a frame it dropped, and nobody would know).
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly CancellationTokenSource stopping = new();
    private Task? forwarding;
    private int stopped;
    private Task? heartbeat;
    private volatile bool othersAlive;
    private volatile bool othersAliveWhenCut;
    private TaskCompletionSource? probe;
    private int lonelyBeats;
    private readonly Lock droppedLock = new();
    private HashSet<Guid> droppedFor = [];
    private bool droppedForEveryone;

    public string InstanceId { get; } = Guid.CreateVersion7().ToString("N");

    public bool OthersAlive => othersAlive;

    private RedisChannel OwnChannel => RedisChannel.Literal("chat:instance:" + InstanceId);

    private RedisKey InstancesKey => keyspace.Key("chat:instances");

    private RedisKey RouteKey(Guid userId) => keyspace.Key("chat:route:" + userId.ToString("N"));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        var subscriber = redis.GetSubscriber();
        try
        {
            await subscriber.SubscribeAsync(OwnChannel, (_, payload) => Receive(payload));
            await subscriber.SubscribeAsync(JoinedChannel, (_, instance) =>
            {
                if (instance != InstanceId)
                {
                    othersAlive = true;
                }
            });
            await subscriber.SubscribeAsync(ResyncChannel, (_, payload) => ResyncUsers(payload));
            await BeatAsync();
            await subscriber.PublishAsync(JoinedChannel, InstanceId);
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            LogRedisUnavailable(logger, ex);
        }

        forwarding = Task.Run(() => ForwardLoopAsync(stopping.Token), CancellationToken.None);
        heartbeat = Task.Run(() => HeartbeatLoopAsync(stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host may stop its services more than once (a test host does); leave the instance set once.
        if (Interlocked.Exchange(ref stopped, 1) == 1)
        {
            return;
        }

        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        await stopping.CancelAsync();
        forwards.Writer.TryComplete();
        await Task.WhenAll(forwarding ?? Task.CompletedTask, heartbeat ?? Task.CompletedTask);
        try
        {
            await redis.GetSubscriber().UnsubscribeAsync(OwnChannel);
            await redis.GetDatabase().SortedSetRemoveAsync(InstancesKey, InstanceId);
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            LogRedisUnavailable(logger, ex);
        }
        catch (ObjectDisposedException)
        {
            // Already torn down with the host's services; the entry expires on its own.
        }
    }

    /// <summary>Records that this instance holds a socket of <paramref name="userId"/> (before the socket is accepted).</summary>
    public async Task UserConnectedAsync(Guid userId)
    {
        var db = redis.GetDatabase();
        var key = RouteKey(userId);
        await Task.WhenAll(db.SetAddAsync(key, InstanceId), db.KeyExpireAsync(key, RouteExpiry));
    }

    public Task UserDisconnectedAsync(Guid userId) => redis.GetDatabase().SetRemoveAsync(RouteKey(userId), InstanceId);

    /// <summary>Queues <paramref name="delivery"/> for the other instances, if there are any.</summary>
    public void Forward(Delivery delivery)
    {
        if (othersAlive && !forwards.Writer.TryWrite(delivery))
        {
            LogForwardDropped(logger);
            Dropped([delivery]);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            othersAliveWhenCut |= othersAlive;
        }
    }

    /// <summary>
    /// Pub/sub keeps nothing for a subscriber that is away: frames other instances sent here while
    /// this instance's subscription was down are gone. A client notices a missed frame only when a
    /// later seq arrives, which in a conversation that has gone quiet may be never; closing the
    /// sockets (1001: reconnect) makes every client here reconnect and sync. That must wait until
    /// this instance's channel delivers again: the connection comes back before its subscriptions
    /// are renewed, and a client that reconnected and synced in between would miss what was sent
    /// here in that gap.
    /// </summary>
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription || !(othersAliveWhenCut || othersAlive))
        {
            return;
        }

        othersAliveWhenCut = false;
        _ = Task.Run(ResyncWhenSubscribedAsync, CancellationToken.None);
    }

    private async Task ResyncWhenSubscribedAsync()
    {
        var deadline = DateTime.UtcNow + SubscriptionProbeTimeout;
        while (DateTime.UtcNow < deadline && !stopping.IsCancellationRequested)
        {
            var echo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref probe, echo);
            try
            {
                // An empty message on the own channel comes back only once the subscription is renewed.
                await redis.GetSubscriber().PublishAsync(OwnChannel, RedisValue.EmptyString);
                await echo.Task.WaitAsync(TimeSpan.FromMilliseconds(250));
                break;
            }
            catch (Exception ex) when (ex is TimeoutException || ex.IsRedisFailure())
            {
            }
        }

        var connections = registry.All.ToList();
        LogResyncAfterRedis(logger, connections.Count);
        foreach (var connection in connections)
        {
            connection.Close(WebSocketCloseStatus.EndpointUnavailable, "Frames from other instances may have been missed; reconnect and sync.");
        }
    }

    private void Receive(RedisValue payload)
    {
        if (payload.IsNullOrEmpty)
        {
            Volatile.Read(ref probe)?.TrySetResult();
            return;
        }

        try
        {
            foreach (var delivery in Delivery.Decode(((ReadOnlyMemory<byte>)payload).Span))
            {
                FanOut.DeliverLocally(registry, delivery);
            }
        }
        catch (ArgumentException ex)
        {
            LogBadPayload(logger, ex);
        }
    }

    private async Task ForwardLoopAsync(CancellationToken cancellationToken)
    {
        var reader = forwards.Reader;
        var batch = new List<Delivery>(MaxForwardBatch);
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                batch.Clear();
                while (batch.Count < MaxForwardBatch && reader.TryRead(out var delivery))
                {
                    batch.Add(delivery);
                }

                try
                {
                    await ForwardUntilSentAsync(batch, cancellationToken);
                    await AskToResyncDroppedAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Whatever went wrong with this batch, the loop must live on: without it no frame
                    // would reach another instance until a restart.
                    LogForwardFailed(logger, batch.Count, ex);
                    Dropped(batch);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Sends a batch to the instances of its recipients, retrying with back-off while Redis refuses,
    /// and only to the instances not reached yet (a frame sent twice would be harmless, as clients
    /// keep one message per seq, but costs a publish).
    /// </summary>
    private async Task ForwardUntilSentAsync(List<Delivery> batch, CancellationToken cancellationToken)
    {
        Dictionary<string, byte[]>? unsent = null;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                unsent ??= await RouteAsync(batch);
                unsent = await PublishAsync(unsent);
                if (unsent.Count == 0)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex.IsRedisFailure())
            {
                LogRedisUnavailable(logger, ex);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(MaxRetryDelay.TotalMilliseconds, 50 * Math.Pow(2, attempt))), cancellationToken);
        }
    }

    /// <summary>The batch packed once for each other instance that holds a socket of one of its recipients.</summary>
    private async Task<Dictionary<string, byte[]>> RouteAsync(List<Delivery> batch)
    {
        var db = redis.GetDatabase();
        var recipients = batch.SelectMany(d => d.Recipients).Distinct().ToArray();
        var lookups = recipients.Select(r => db.SetMembersAsync(RouteKey(r))).ToArray();
        await Task.WhenAll(lookups);
        var instancesOf = new Dictionary<Guid, RedisValue[]>(recipients.Length);
        for (var i = 0; i < recipients.Length; i++)
        {
            instancesOf[recipients[i]] = lookups[i].Result;
        }

        var perInstance = new Dictionary<string, List<Delivery>>();
        var targets = new Dictionary<string, List<Guid>>();
        foreach (var delivery in batch)
        {
            targets.Clear();
            foreach (var recipient in delivery.Recipients)
            {
                if (recipient == delivery.ExceptUser)
                {
                    continue;
                }

                foreach (var instance in instancesOf[recipient])
                {
                    var id = instance.ToString();
                    if (id == InstanceId)
                    {
                        continue;
                    }

                    if (!targets.TryGetValue(id, out var list))
                    {
                        targets[id] = list = [];
                    }

                    list.Add(recipient);
                }
            }

            foreach (var (instance, users) in targets)
            {
                if (!perInstance.TryGetValue(instance, out var deliveries))
                {
                    perInstance[instance] = deliveries = [];
                }

                deliveries.Add(delivery with { Recipients = users });
            }
        }

        return perInstance.ToDictionary(p => p.Key, p => Delivery.Encode(p.Value));
    }

    /// <summary>Publishes each instance's frames; returns those Redis did not take.</summary>
    private async Task<Dictionary<string, byte[]>> PublishAsync(Dictionary<string, byte[]> perInstance)
    {
        var subscriber = redis.GetSubscriber();
        var sends = perInstance.Select(p => (p.Key, p.Value, Sent: subscriber.PublishAsync(RedisChannel.Literal("chat:instance:" + p.Key), p.Value))).ToList();
        try
        {
            await Task.WhenAll(sends.Select(s => s.Sent));
            return [];
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            LogRedisUnavailable(logger, ex);
            return sends.Where(s => !s.Sent.IsCompletedSuccessfully).ToDictionary(s => s.Key, s => s.Value);
        }
    }

    /// <summary>Remembers whose frames did not go out, to have their sockets resynced once Redis works.</summary>
    private void Dropped(IEnumerable<Delivery> deliveries)
    {
        lock (droppedLock)
        {
            foreach (var recipient in deliveries.SelectMany(d => d.Recipients))
            {
                if (droppedForEveryone || !droppedFor.Add(recipient) || droppedFor.Count <= MaxUsersToResync)
                {
                    continue;
                }

                droppedForEveryone = true;
                droppedFor = [];
            }
        }
    }

    /// <summary>
    /// Tells the other instances to close the sockets of users whose frames were dropped here (all
    /// of them when there were too many), so those clients reconnect and sync by seq: in a
    /// conversation gone quiet no later frame would show them the gap. An empty list means everyone.
    /// </summary>
    private async Task AskToResyncDroppedAsync()
    {
        HashSet<Guid> users;
        bool everyone;
        lock (droppedLock)
        {
            if (droppedFor.Count == 0 && !droppedForEveryone)
            {
                return;
            }

            (users, everyone) = (droppedFor, droppedForEveryone);
            (droppedFor, droppedForEveryone) = ([], false);
        }

        // This instance's id, then the users.
        var payload = new byte[16 + (everyone ? 0 : 16 * users.Count)];
        Guid.ParseExact(InstanceId, "N").TryWriteBytes(payload);
        var offset = 16;
        foreach (var user in everyone ? [] : users)
        {
            user.TryWriteBytes(payload.AsSpan(offset));
            offset += 16;
        }

        try
        {
            await redis.GetSubscriber().PublishAsync(ResyncChannel, payload);
            LogAskedToResync(logger, everyone ? -1 : users.Count);
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            // Still failing: keep them for the next batch or heartbeat.
            LogRedisUnavailable(logger, ex);
            lock (droppedLock)
            {
                droppedForEveryone |= everyone;
                droppedFor.UnionWith(everyone ? [] : users);
            }
        }
    }

    /// <summary>Another instance dropped frames for these users (none listed: for everyone): their sockets here reconnect and sync.</summary>
    private void ResyncUsers(RedisValue payload)
    {
        var bytes = (ReadOnlyMemory<byte>)payload;
        if (bytes.Length < 16 || bytes.Length % 16 != 0 || new Guid(bytes.Span[..16]).ToString("N") == InstanceId)
        {
            return;
        }

        var connections = bytes.Length == 16
            ? registry.All.ToList()
            : [.. Enumerable.Range(1, (bytes.Length / 16) - 1).SelectMany(i => registry.For(new Guid(bytes.Span.Slice(16 * i, 16))))];
        LogResyncAsked(logger, connections.Count);
        foreach (var connection in connections)
        {
            connection.Close(WebSocketCloseStatus.EndpointUnavailable, "Frames from another instance were dropped; reconnect and sync.");
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        var lastRouteRefresh = DateTime.UtcNow;
        using var timer = new PeriodicTimer(HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await BeatAsync();
                    await AskToResyncDroppedAsync();
                    if (DateTime.UtcNow - lastRouteRefresh >= RouteRefreshInterval)
                    {
                        lastRouteRefresh = DateTime.UtcNow;
                        var db = redis.GetDatabase();
                        await Task.WhenAll(registry.Users.Select(u => Task.WhenAll(
                            db.SetAddAsync(RouteKey(u), InstanceId),
                            db.KeyExpireAsync(RouteKey(u), RouteExpiry))));
                    }
                }
                catch (Exception ex) when (ex.IsRedisFailure())
                {
                    LogRedisUnavailable(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // The connection went away with the host's services: the instance is shutting down.
        }
    }

    /// <summary>Announces this instance for a few seconds more and notes whether any other is alive.</summary>
    private async Task BeatAsync()
    {
        var db = redis.GetDatabase();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await db.SortedSetAddAsync(InstancesKey, InstanceId, now + (long)InstanceExpiry.TotalMilliseconds);
        // Counted before the expired entries go: after a Redis outage nobody could beat, so the others'
        // entries have all expired, yet they are most likely alive and beat again within one interval.
        if (await db.SortedSetLengthAsync(InstancesKey) > 1)
        {
            lonelyBeats = 0;
            othersAlive = true;
        }
        else if (++lonelyBeats >= LonelyBeatsBeforeAlone)
        {
            othersAlive = false;
        }

        await db.SortedSetRemoveRangeByScoreAsync(InstancesKey, double.NegativeInfinity, now);
    }

    public void Dispose() => stopping.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable for routing chat frames between instances")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The queue of frames for other instances is full; a frame was dropped (its recipients catch up by sync)")]
    private static partial void LogForwardDropped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is back after this instance's subscription was down; {Count} sockets are closed so that their clients reconnect and sync what they missed")]
    private static partial void LogResyncAfterRedis(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Forwarding {Count} frames to other instances failed; their recipients catch up by sync")]
    private static partial void LogForwardFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Frames for other instances were dropped; asked them to resync {Count} users (-1: everyone)")]
    private static partial void LogAskedToResync(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Another instance dropped frames for users connected here; {Count} sockets are closed so that their clients reconnect and sync")]
    private static partial void LogResyncAsked(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A frame from another instance could not be read")]
    private static partial void LogBadPayload(ILogger logger, Exception exception);
}
