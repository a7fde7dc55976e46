namespace Messenger.EventBus.Transport;

/// <summary>Writes messages to the event log (Redis Streams or Kafka).</summary>
public interface IEventPublisherTransport
{
    /// <summary>
    /// Publishes every message, keeping the order of messages with the same topic and key, and
    /// returns only when the log has accepted all of them. Throws if any was not accepted; some may
    /// have been, so a retry can publish duplicates (consumers are idempotent by event id).
    /// </summary>
    Task PublishAsync(IReadOnlyList<TransportMessage> messages, CancellationToken cancellationToken);
}
