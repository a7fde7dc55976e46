namespace Messenger.EventBus;

/// <summary>The event log's settings (section <c>EventBus</c>), validated at start-up.</summary>
public sealed class EventBusOptions
{
    public const string SectionName = "EventBus";

    /// <summary><c>redis</c> (Redis Streams, the single-node default) or <c>kafka</c>.</summary>
    public string Transport { get; set; } = EventBusTransports.Redis;

    public KafkaTransportOptions Kafka { get; set; } = new();

    public RedisStreamsOptions Redis { get; set; } = new();

    public ConsumerRetryOptions Consumer { get; set; } = new();

    public OutboxRelayOptions Outbox { get; set; } = new();
}

public static class EventBusTransports
{
    public const string Redis = "redis";
    public const string Kafka = "kafka";
}

public sealed class KafkaTransportOptions
{
    /// <summary>Comma-separated <c>host:port</c> list; required when the transport is <c>kafka</c>.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>How long a silent consumer keeps its partitions; a joining consumer waits about this long.</summary>
    public int SessionTimeoutMs { get; set; } = 10_000;

    /// <summary>How long the producer keeps trying one message before the relay sees a failure and backs off.</summary>
    public int MessageTimeoutMs { get; set; } = 30_000;

    /// <summary>How long the producer waits to fill a batch.</summary>
    public int LingerMs { get; set; } = 5;

    /// <summary>How often stored offsets of handled messages are committed.</summary>
    public int AutoCommitIntervalMs { get; set; } = 1_000;

    /// <summary>The most messages handed to the consumer host at once (of those already fetched; it never waits to fill a batch).</summary>
    public int BatchSize { get; set; } = 100;
}

public sealed class RedisStreamsOptions
{
    /// <summary>
    /// An optional hard cap on a stream's length (<c>MAXLEN ~</c> on every append). Off by default,
    /// because it drops entries a lagging consumer group has not handled yet; streams are trimmed
    /// behind their slowest group instead (<see cref="TrimInterval"/>).
    /// </summary>
    public long? MaxLength { get; set; }

    /// <summary>
    /// How often each consumer trims its stream up to the oldest entry that some group has not yet
    /// acknowledged (<c>XTRIM MINID ~</c>), so the log stays short without losing anything.
    /// </summary>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Entries read per XREADGROUP call.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// How often an idle consumer polls. Publishers also announce new entries on a channel, so this
    /// only bounds the delay when a wake-up was missed.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Entries a consumer has held unacknowledged this long are taken over (XAUTOCLAIM).</summary>
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often pending entries of dead consumers are looked for.</summary>
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class ConsumerRetryOptions
{
    /// <summary>Failures of a handler because of its event (not because a dependency was out of reach) before the event is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 5;

    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The pause before a message is delivered again after the transport could not finish it
    /// (for example the dead-letter publish failed); doubles up to <see cref="MaxRetryDelay"/>.
    /// </summary>
    public TimeSpan RedeliveryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the record that an event was applied is kept (redeliveries come within minutes).</summary>
    public TimeSpan ProcessedEventsRetention { get; set; } = TimeSpan.FromDays(30);
}

public sealed class OutboxRelayOptions
{
    /// <summary>Rows taken per relay transaction.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>How often the relay looks for rows written by other instances.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between attempts while the transport is down.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
