using Messenger.EventBus.Transport;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messenger.EventBus.Redis;

/// <summary>
/// A consumer-group member over one stream per topic. StackExchange.Redis multiplexes one connection
/// and so cannot block in XREADGROUP: each stream is polled, and a publisher's wake-up on the
/// topic's channel ends the wait early, so an idle consumer reacts within milliseconds.
/// </summary>
internal sealed class RedisStreamsConsumer(
    IConnectionMultiplexer redis,
    RedisKeyspace keyspace,
    IOptions<EventBusOptions> options,
    TimeProvider time,
    ILogger<RedisStreamsConsumer> logger) : IEventConsumerTransport
{
    public Task RunAsync(
        string group,
        IReadOnlyCollection<string> topics,
        Func<IReadOnlyList<ReceivedMessage>, CancellationToken, Task> onMessages,
        CancellationToken cancellationToken)
    {
        var consumer = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        var member = new GroupMember(redis, keyspace, options.Value, time, logger, group, consumer, onMessages);
        var loops = topics.Distinct(StringComparer.Ordinal).Select(topic => RunStreamAsync(member, topic, cancellationToken));
        return Task.WhenAll(loops);
    }

    private static async Task RunStreamAsync(GroupMember member, string topic, CancellationToken cancellationToken)
    {
        using var loop = new StreamLoop(member, topic);
        await loop.RunAsync(cancellationToken);
    }

    private sealed record GroupMember(
        IConnectionMultiplexer Redis,
        RedisKeyspace Keyspace,
        EventBusOptions Options,
        TimeProvider Time,
        ILogger Logger,
        string Group,
        string Consumer,
        Func<IReadOnlyList<ReceivedMessage>, CancellationToken, Task> OnMessages);

    /// <summary>Reads one stream for one group member, handing over each read's entries in order, one read after another.</summary>
    private sealed class StreamLoop(GroupMember owner, string topic) : IDisposable
    {
        private readonly string group = owner.Group;
        private readonly string consumer = owner.Consumer;
        private readonly Func<IReadOnlyList<ReceivedMessage>, CancellationToken, Task> onMessages = owner.OnMessages;
        // Consumers that held nothing for this long are removed from the group's bookkeeping. A live
        // consumer polls far more often, and one removed by mistake is re-created by its next read.
        private static readonly TimeSpan ForgetIdleConsumersAfter = TimeSpan.FromHours(1);

        private readonly WakeUpSignal wakeUp = new();
        private readonly RedisKey stream = RedisStreamNames.Stream(owner.Keyspace, topic);
        private readonly RedisStreamsOptions settings = owner.Options.Redis;
        private readonly ConsumerRetryOptions retry = owner.Options.Consumer;
        private readonly ILogger logger = owner.Logger;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var channel = RedisStreamNames.WakeUp(topic);
            var subscriber = owner.Redis.GetSubscriber();
            Action<RedisChannel, RedisValue> onWakeUp = (_, _) => wakeUp.Set();
            var subscribed = false;
            var groupReady = false;
            // After a start or a failure the consumer first re-reads what it was given but did not
            // acknowledge ("0"), then takes new entries (">").
            var readingPending = true;
            RedisValue position = StreamPosition.Beginning;
            var nextClaim = owner.Time.GetUtcNow();
            var nextTrim = owner.Time.GetUtcNow() + settings.TrimInterval;
            var failures = 0;
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    try
                    {
                        if (!subscribed)
                        {
                            await subscriber.SubscribeAsync(channel, onWakeUp);
                            subscribed = true;
                        }

                        if (!groupReady)
                        {
                            await EnsureGroupAsync();
                            groupReady = true;
                        }

                        var db = owner.Redis.GetDatabase();
                        if (owner.Time.GetUtcNow() >= nextClaim)
                        {
                            await ClaimAbandonedAsync(db, cancellationToken);
                            nextClaim = owner.Time.GetUtcNow() + settings.ClaimInterval;
                        }

                        if (owner.Time.GetUtcNow() >= nextTrim)
                        {
                            nextTrim = owner.Time.GetUtcNow() + settings.TrimInterval;
                            var trimmed = await RedisStreamTrimmer.TrimAcknowledgedAsync(db, stream);
                            logger.LogDebug("Trimmed {Count} entries every group had acknowledged from stream {Topic}", trimmed, topic);
                        }

                        var entries = await db.StreamReadGroupAsync(stream, group, consumer, position, settings.BatchSize);
                        if (entries.Length == 0)
                        {
                            if (readingPending)
                            {
                                readingPending = false;
                                position = StreamPosition.NewMessages;
                                continue;
                            }

                            await WaitForWakeUpAsync(cancellationToken);
                            continue;
                        }

                        await HandleBatchAsync(db, entries, cancellationToken);
                        if (readingPending)
                        {
                            position = entries[^1].Id;
                        }

                        failures = 0;
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
                    {
                        // The stream or group vanished (a flushed or replaced Redis): create it again.
                        logger.LogWarning("Consumer group {Group} on stream {Topic} is missing; creating it again", group, topic);
                        groupReady = false;
                    }
                    catch (Exception ex)
                    {
                        failures++;
                        readingPending = true;
                        position = StreamPosition.Beginning;
                        var delay = Backoff.Delay(failures, retry.RedeliveryDelay, retry.MaxRetryDelay);
                        logger.LogWarning(ex, "Consumer {Consumer} of group {Group} on stream {Topic} failed; retrying in {Delay}",
                            consumer, group, topic, delay);
                        try
                        {
                            await Task.Delay(delay, owner.Time, cancellationToken);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                    }
                }
            }
            finally
            {
                if (subscribed)
                {
                    try
                    {
                        await subscriber.UnsubscribeAsync(channel, onWakeUp);
                    }
                    catch (Exception ex)
                    {
                        logger.LogDebug(ex, "Could not unsubscribe from {Channel}", channel);
                    }
                }

            }
        }

        public void Dispose() => wakeUp.Dispose();

        private async Task EnsureGroupAsync()
        {
            try
            {
                // From the start of the stream: a new group reads the history, and replays are idempotent.
                await owner.Redis.GetDatabase().StreamCreateConsumerGroupAsync(stream, group, StreamPosition.Beginning, createStream: true);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
            {
                // Already there.
            }
        }

        /// <summary>
        /// Hands the entries over together and acknowledges them all with one XACK once they were handled.
        /// If handling fails, none is acknowledged: they come back, handled ones included, which
        /// at-least-once delivery allows.
        /// </summary>
        private async Task HandleBatchAsync(IDatabase db, StreamEntry[] entries, CancellationToken cancellationToken)
        {
            if (entries.Length == 0)
            {
                return;
            }

            var messages = new List<ReceivedMessage>(entries.Length);
            foreach (var entry in entries)
            {
                if (entry.IsNull || entry.Values is null || entry.Values.Length == 0)
                {
                    // Removed before it was handled (the optional MAXLEN cap, or by hand): nothing left to deliver.
                    logger.LogError("Entry {Id} of stream {Topic} was removed before group {Group} handled it", entry.Id, topic, group);
                }
                else
                {
                    messages.Add(ToMessage(entry));
                }
            }

            if (messages.Count > 0)
            {
                await onMessages(messages, cancellationToken);
            }

            await db.StreamAcknowledgeAsync(stream, group, [.. entries.Select(e => e.Id)]);
        }

        private ReceivedMessage ToMessage(StreamEntry entry)
        {
            string key = "";
            string? eventId = null;
            string? type = null;
            ReadOnlyMemory<byte> body = default;
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var field in entry.Values)
            {
                switch ((string?)field.Name)
                {
                    case RedisStreamNames.IdField:
                        eventId = field.Value;
                        break;
                    case RedisStreamNames.TypeField:
                        type = field.Value;
                        break;
                    case RedisStreamNames.KeyField:
                        key = field.Value.ToString();
                        break;
                    case RedisStreamNames.BodyField:
                        body = (byte[]?)field.Value ?? [];
                        break;
                    default:
                        headers[field.Name.ToString()] = field.Value.ToString();
                        break;
                }
            }

            return new ReceivedMessage(topic, key, eventId, type, body, headers, entry.Id.ToString());
        }

        /// <summary>Takes over entries that other (dead) members were given and never acknowledged.</summary>
        private async Task ClaimAbandonedAsync(IDatabase db, CancellationToken cancellationToken)
        {
            var minIdle = (long)settings.ClaimIdleTime.TotalMilliseconds;
            RedisValue start = "0-0";
            do
            {
                var result = await db.StreamAutoClaimAsync(stream, group, consumer, minIdle, start, settings.BatchSize);
                if (result.ClaimedEntries.Length > 0)
                {
                    logger.LogInformation("Consumer {Consumer} of group {Group} took over {Count} abandoned entries of stream {Topic}",
                        consumer, group, result.ClaimedEntries.Length, topic);
                }

                await HandleBatchAsync(db, result.ClaimedEntries, cancellationToken);

                start = result.NextStartId;
            }
            while (start != "0-0" && !cancellationToken.IsCancellationRequested);

            foreach (var member in await db.StreamConsumerInfoAsync(stream, group))
            {
                if (member.Name != consumer && member.PendingMessageCount == 0
                    && member.IdleTimeInMilliseconds > ForgetIdleConsumersAfter.TotalMilliseconds)
                {
                    await db.StreamDeleteConsumerAsync(stream, group, member.Name);
                }
            }
        }

        private async Task WaitForWakeUpAsync(CancellationToken cancellationToken) =>
            await wakeUp.WaitAsync(settings.PollInterval, cancellationToken);
    }
}
