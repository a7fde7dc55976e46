using Friendship.Api.Data;
using Messenger.Contracts.Auth;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Microsoft.EntityFrameworkCore;

namespace Friendship.Api.Events;

/// <summary>
/// Removes a deleted account's friendships, friend requests (sent and received) and this service's
/// copy of its blocks (docs/decisions/0070-account-deletion.md). Applied once per event id, and a
/// replay deletes nothing more.
/// </summary>
public sealed class UserDeletedHandler(FriendshipDbContext db) : IEventHandler<UserDeleted>
{
    public Task HandleAsync(EventContext<UserDeleted> context, CancellationToken cancellationToken)
    {
        var userId = context.Event.UserId;
        return db.ApplyOnceAsync(context.EventId, context.ConsumerGroup, async ct =>
        {
            await db.Friends.Where(f => f.UserId == userId || f.FriendId == userId).ExecuteDeleteAsync(ct);
            await db.Requests.Where(r => r.FromUserId == userId || r.ToUserId == userId).ExecuteDeleteAsync(ct);
            await db.Blocks.IgnoreQueryFilters().Where(b => b.BlockerId == userId || b.BlockedId == userId).ExecuteDeleteAsync(ct);
        }, cancellationToken);
    }
}
