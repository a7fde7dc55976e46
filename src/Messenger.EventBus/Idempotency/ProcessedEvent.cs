namespace Messenger.EventBus.Idempotency;

/// <summary>An event a consumer has already applied (table <c>processed_events</c>, key (consumer, event_id)).</summary>
public sealed class ProcessedEvent
{
    public required string Consumer { get; set; }

    public Guid EventId { get; set; }

    public DateTimeOffset ProcessedAt { get; set; }
}
