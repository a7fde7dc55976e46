using Messenger.Contracts.Auth;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Microsoft.EntityFrameworkCore;
using Notification.Api.Data;

namespace Notification.Api.Events;

/// <summary>
/// Removes a deleted account's notifications, push subscriptions (their pending deliveries go with
/// them), muted conversations and change stream (docs/decisions/0070-account-deletion.md). Applied
/// once per event id, and a replay deletes nothing more.
/// </summary>
public sealed class UserDeletedHandler(NotificationDbContext db) : IEventHandler<UserDeleted>
{
    public Task HandleAsync(EventContext<UserDeleted> context, CancellationToken cancellationToken)
    {
        var userId = context.Event.UserId;
        return db.ApplyOnceAsync(context.EventId, context.ConsumerGroup, async ct =>
        {
            await db.PushSubscriptions.Where(s => s.UserId == userId).ExecuteDeleteAsync(ct);
            await db.Notifications.Where(n => n.UserId == userId).ExecuteDeleteAsync(ct);
            await db.MutedConversations.Where(m => m.UserId == userId).ExecuteDeleteAsync(ct);
            await db.UserStreams.Where(s => s.UserId == userId).ExecuteDeleteAsync(ct);
        }, cancellationToken);
    }
}
