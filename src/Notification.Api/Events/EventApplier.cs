using Messenger.Contracts;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Notification.Api.Data;
using Notification.Api.Delivery;
using Notification.Api.Domain;

namespace Notification.Api.Events;

/// <summary>
/// Applies an event's changes once: the event id is recorded in the transaction that changes the
/// notifications, so a redelivery changes nothing; once committed, the changes are delivered live.
/// </summary>
public sealed class EventApplier(NotificationDbContext db, ChangePublisher publisher)
{
    public async Task ApplyAsync<TEvent>(
        EventContext<TEvent> context, Func<CancellationToken, Task<IReadOnlyList<NotificationChange>>> apply, CancellationToken cancellationToken)
        where TEvent : IIntegrationEvent
    {
        IReadOnlyList<NotificationChange> changes = [];
        if (await db.ApplyOnceAsync(context.EventId, context.ConsumerGroup, async ct => changes = await apply(ct), cancellationToken))
        {
            await publisher.PublishAsync(changes);
        }
    }

    /// <summary>The same for a batch of events in one transaction; <paramref name="apply"/> gets those not applied before, each once, in order.</summary>
    public async Task ApplyAsync<TEvent>(
        IReadOnlyList<EventContext<TEvent>> events,
        Func<IReadOnlyList<EventContext<TEvent>>, CancellationToken, Task<IReadOnlyList<NotificationChange>>> apply,
        CancellationToken cancellationToken)
        where TEvent : IIntegrationEvent
    {
        if (events.Count == 0)
        {
            return;
        }

        IReadOnlyList<NotificationChange> changes = [];
        await db.ApplyOnceAsync([.. events.Select(e => e.EventId)], events[0].ConsumerGroup,
            async (fresh, ct) => changes = await apply([.. events.Where(e => fresh.Contains(e.EventId)).DistinctBy(e => e.EventId)], ct),
            cancellationToken);
        await publisher.PublishAsync(changes);
    }
}
