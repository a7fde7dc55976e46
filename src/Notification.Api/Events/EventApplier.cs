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
}
