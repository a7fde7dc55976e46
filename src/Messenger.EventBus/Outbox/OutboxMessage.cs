namespace Messenger.EventBus.Outbox;

/// <summary>
/// An event waiting in the service's own database to be published (table <c>outbox_messages</c>).
/// It is written in the same transaction as the change it announces; the relay publishes and deletes it.
/// </summary>
public sealed class OutboxMessage
{
    /// <summary>Insert order; the relay publishes in this order.</summary>
    public long Id { get; set; }

    public Guid EventId { get; set; }

    public required string Topic { get; set; }

    public required string Key { get; set; }

    public required string Type { get; set; }

    /// <summary>The UTF-8 envelope JSON exactly as it will be published.</summary>
    public required byte[] Payload { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>Set by the database when the row is inserted; the relay's lag is measured from it.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The W3C trace context of the writer, so a consumer's work joins the producer's trace.</summary>
    public string? TraceParent { get; set; }
}
