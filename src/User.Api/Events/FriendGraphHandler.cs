using Messenger.Contracts.Friendships;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Microsoft.EntityFrameworkCore;
using User.Api.Data;

namespace User.Api.Events;

/// <summary>
/// Keeps the copy of the friend graph that search privacy ("friends of friends") reads. An accept
/// and a removal of one pair may arrive swapped (several consumers on Redis Streams), so the later
/// one by the Friendship service's clock wins.
/// </summary>
public sealed class FriendGraphHandler(UsersDbContext db) : IEventHandler<FriendRequestAccepted>, IEventHandler<FriendRemoved>
{
    public Task HandleAsync(EventContext<FriendRequestAccepted> context, CancellationToken cancellationToken) =>
        db.ApplyOnceAsync(context.EventId, context.ConsumerGroup,
            ct => RecordAsync(context.Event.FromUserId, context.Event.ToUserId, isFriend: true, context.Event.AcceptedAt, ct),
            cancellationToken);

    public Task HandleAsync(EventContext<FriendRemoved> context, CancellationToken cancellationToken) =>
        db.ApplyOnceAsync(context.EventId, context.ConsumerGroup,
            ct => RecordAsync(context.Event.UserId, context.Event.FriendId, isFriend: false, context.Event.RemovedAt, ct),
            cancellationToken);

    private Task<int> RecordAsync(Guid a, Guid b, bool isFriend, DateTimeOffset changedAt, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO friend_edges (user_id, friend_id, is_friend, changed_at) VALUES ({a}, {b}, {isFriend}, {changedAt}), ({b}, {a}, {isFriend}, {changedAt})
            ON CONFLICT (user_id, friend_id) DO UPDATE SET is_friend = excluded.is_friend, changed_at = excluded.changed_at
            WHERE friend_edges.changed_at < excluded.changed_at
            """,
            cancellationToken);
}
