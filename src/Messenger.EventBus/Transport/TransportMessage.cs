namespace Messenger.EventBus.Transport;

/// <summary>One event on its way to the event log.</summary>
/// <param name="Topic">The topic (Kafka) or stream name before the keyspace prefix (Redis).</param>
/// <param name="Key">The partition key; messages with one key keep their order.</param>
/// <param name="EventId">The envelope's id, also carried outside the body for tools and dead letters.</param>
/// <param name="Type">The envelope's type.</param>
/// <param name="Body">The UTF-8 envelope JSON, published byte for byte.</param>
public sealed record TransportMessage(string Topic, string Key, Guid EventId, string Type, ReadOnlyMemory<byte> Body)
{
    /// <summary>Extra metadata: trace context, dead-letter details. Kafka headers, Redis stream fields.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyHeaders;

    internal static readonly IReadOnlyDictionary<string, string> EmptyHeaders = new Dictionary<string, string>();
}

/// <summary>One message as a consumer receives it.</summary>
/// <param name="Topic">The topic it was read from.</param>
/// <param name="Key">The partition key (empty when the producer set none).</param>
/// <param name="EventId">The id carried beside the body, if any; the envelope's id is authoritative.</param>
/// <param name="Type">The type carried beside the body, if any.</param>
/// <param name="Body">The raw value, not yet parsed: it may be anything a producer wrote.</param>
/// <param name="Headers">Every other header or stream field.</param>
/// <param name="Position">Where it lies in the log (Redis entry id, Kafka partition@offset), for logs.</param>
public sealed record ReceivedMessage(
    string Topic,
    string Key,
    string? EventId,
    string? Type,
    ReadOnlyMemory<byte> Body,
    IReadOnlyDictionary<string, string> Headers,
    string Position);

/// <summary>Header (Kafka) and field (Redis) names the event bus writes.</summary>
public static class MessageHeaders
{
    public const string EventId = "event-id";
    public const string Type = "type";
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// <summary>Dead letters: the handler's exception type.</summary>
    public const string ErrorType = "error-type";

    /// <summary>Dead letters: the handler's exception message (or why the message could not be read).</summary>
    public const string ErrorMessage = "error-message";

    /// <summary>Dead letters: the consumer group that gave up.</summary>
    public const string ConsumerGroup = "consumer-group";

    /// <summary>Dead letters: how many times the handler was run.</summary>
    public const string Attempts = "attempts";

    /// <summary>Dead letters: when the consumer gave up (ISO-8601 UTC).</summary>
    public const string FailedAt = "failed-at";

    /// <summary>Dead letters: where the original lay (topic and position).</summary>
    public const string OriginalPosition = "original-position";
}
