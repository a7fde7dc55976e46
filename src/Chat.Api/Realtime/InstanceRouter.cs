using System.Net.WebSockets;
using System.Threading.Channels;
using Messenger.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Chat.Api.Realtime;

/// <summary>
/// Carries frames to recipients connected to other Chat instances. Each instance listens on its
/// own Redis channel and records, per connected user, that it holds a socket of theirs (a set per
/// user with expiry, refreshed while connected). A batch of deliveries costs one pipelined lookup
/// of the recipients' instances and one publish per instance that has any of them. While no other
/// instance is alive (a sorted set of heartbeats, plus an announcement when one starts) nothing is
/// sent to Redis at all, so a single instance pays nothing for being able to scale out.
/// </summary>
internal sealed partial class InstanceRouter(
    IConnectionMultiplexer redis,
    RedisKeyspace keyspace,
    ConnectionRegistry registry,
    ILogger<InstanceRouter> logger) : IHostedService, IDisposable
{
    private const int MaxForwardBatch = 2_000;
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan InstanceExpiry = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RouteExpiry = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan SubscriptionProbeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RouteRefreshInterval = TimeSpan.FromSeconds(30);
    private static readonly RedisChannel JoinedChannel = RedisChannel.Literal("chat:instance-joined");

    private readonly Channel<Delivery> forwards = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(200_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    private readonly CancellationTokenSource stopping = new();
    private Task? forwarding;
    private int stopped;
    private Task? heartbeat;
    private volatile bool othersAlive;
    private volatile bool othersAliveWhenCut;
    private TaskCompletionSource? probe;

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
            await BeatAsync();
            await subscriber.PublishAsync(JoinedChannel, InstanceId);
        }
        catch (RedisException ex)
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
        catch (RedisException ex)
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
            catch (Exception ex) when (ex is TimeoutException or RedisException)
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
                    await ForwardAsync(batch);
                }
                catch (RedisException ex)
                {
                    // Recipients elsewhere miss these frames and catch up by seq when they next sync.
                    LogRedisUnavailable(logger, ex);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Whatever went wrong with this batch, the loop must live on: without it no frame
                    // would reach another instance until a restart.
                    LogForwardFailed(logger, batch.Count, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ForwardAsync(List<Delivery> batch)
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

        var subscriber = redis.GetSubscriber();
        await Task.WhenAll(perInstance.Select(p =>
            subscriber.PublishAsync(RedisChannel.Literal("chat:instance:" + p.Key), Delivery.Encode(p.Value))));
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
                    if (DateTime.UtcNow - lastRouteRefresh >= RouteRefreshInterval)
                    {
                        lastRouteRefresh = DateTime.UtcNow;
                        var db = redis.GetDatabase();
                        await Task.WhenAll(registry.Users.Select(u => Task.WhenAll(
                            db.SetAddAsync(RouteKey(u), InstanceId),
                            db.KeyExpireAsync(RouteKey(u), RouteExpiry))));
                    }
                }
                catch (RedisException ex)
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
        othersAlive = await db.SortedSetLengthAsync(InstancesKey) > 1;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "A frame from another instance could not be read")]
    private static partial void LogBadPayload(ILogger logger, Exception exception);
}
