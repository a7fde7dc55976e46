using Messenger.Contracts.Friendships;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Microsoft.EntityFrameworkCore;
using User.Api.Data;

namespace User.Api.Events;

/// <summary>Keeps the copy of the friend graph that search privacy ("friends of friends") reads.</summary>
public sealed class FriendGraphHandler(UsersDbContext db) : IEventHandler<FriendRequestAccepted>, IEventHandler<FriendRemoved>
{
    public Task HandleAsync(EventContext<FriendRequestAccepted> context, CancellationToken cancellationToken) =>
        db.ApplyOnceAsync(context.EventId, context.ConsumerGroup, async ct =>
        {
            var (a, b) = (context.Event.FromUserId, context.Event.ToUserId);
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO friend_edges (user_id, friend_id) VALUES ({a}, {b}), ({b}, {a}) ON CONFLICT DO NOTHING", ct);
        }, cancellationToken);

    public Task HandleAsync(EventContext<FriendRemoved> context, CancellationToken cancellationToken) =>
        db.ApplyOnceAsync(context.EventId, context.ConsumerGroup, async ct =>
        {
            var (a, b) = (context.Event.UserId, context.Event.FriendId);
            await db.FriendEdges
                .Where(e => (e.UserId == a && e.FriendId == b) || (e.UserId == b && e.FriendId == a))
                .ExecuteDeleteAsync(ct);
        }, cancellationToken);
}
