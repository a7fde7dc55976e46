using Messenger.Contracts.Auth;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Microsoft.EntityFrameworkCore;
using User.Api.Data;

namespace User.Api.Events;

/// <summary>
/// Removes a deleted account's profile, its blocks in both directions and its place in the friend
/// graph (docs/decisions/0070-account-deletion.md). Applied once per event id; deleting what is
/// already gone changes nothing, so a replay is harmless too.
/// </summary>
public sealed class UserDeletedHandler(UsersDbContext db) : IEventHandler<UserDeleted>
{
    public Task HandleAsync(EventContext<UserDeleted> context, CancellationToken cancellationToken)
    {
        var userId = context.Event.UserId;
        return db.ApplyOnceAsync(context.EventId, context.ConsumerGroup, async ct =>
        {
            await db.Blocks.Where(b => b.BlockerId == userId || b.BlockedId == userId).ExecuteDeleteAsync(ct);
            await db.FriendEdges.IgnoreQueryFilters().Where(e => e.UserId == userId || e.FriendId == userId).ExecuteDeleteAsync(ct);
            await db.Profiles.Where(p => p.UserId == userId).ExecuteDeleteAsync(ct);
        }, cancellationToken);
    }
}
