using Messenger.Contracts;

namespace Messenger.EventBus.Consumers;

/// <summary>
/// Handles one kind of event. Runs in its own DI scope per delivery. Delivery is at-least-once: the
/// same event may arrive again (after a crash, a rebalance, a retry), so a handler must be idempotent —
/// by natural keys or with <see cref="Idempotency.ProcessedEventsExtensions.TryMarkProcessedAsync"/>.
/// Throwing makes the host retry; after the last attempt the event goes to the dead-letter topic.
/// </summary>
public interface IEventHandler<TEvent> where TEvent : IIntegrationEvent
{
    Task HandleAsync(EventContext<TEvent> context, CancellationToken cancellationToken);
}

/// <summary>
/// A handler that can also apply several events of its type at once — typically in one transaction,
/// which is what lets a consumer keep up with a busy topic. The host gives it runs of consecutive
/// events of this type from what the transport read together, in log order. If a run fails, nothing
/// of it may have taken effect (roll back), and the host hands the same events to
/// <see cref="IEventHandler{TEvent}.HandleAsync"/> one at a time, so a poison event is retried and
/// dead-lettered alone while the others are applied.
/// </summary>
public interface IEventBatchHandler<TEvent> : IEventHandler<TEvent> where TEvent : IIntegrationEvent
{
    Task HandleBatchAsync(IReadOnlyList<EventContext<TEvent>> events, CancellationToken cancellationToken);
}

/// <summary>One delivery of an event to a handler.</summary>
/// <param name="EventId">The envelope's id: the idempotency key.</param>
/// <param name="OccurredAt">When the change happened at the producer.</param>
/// <param name="Topic">The topic it was read from.</param>
/// <param name="Key">Its partition key.</param>
/// <param name="Event">The typed event.</param>
/// <param name="Attempt">1 for the first try of this delivery, 2 for the first retry, and so on.</param>
/// <param name="ConsumerGroup">The consuming group, the natural consumer name for the processed-events table.</param>
public sealed record EventContext<TEvent>(
    Guid EventId,
    DateTimeOffset OccurredAt,
    string Topic,
    string Key,
    TEvent Event,
    int Attempt,
    string ConsumerGroup) where TEvent : IIntegrationEvent;
