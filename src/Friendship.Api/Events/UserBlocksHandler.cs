using Friendship.Api.Data;
using Friendship.Api.Domain;
using Messenger.Contracts.Users;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;

namespace Friendship.Api.Events;

/// <summary>
/// Keeps this service's copy of blocks, so it never asks User whether a request is allowed. A
/// block also ends the pair's friendship and pending request. Applied once per event id; a block and
/// its unblock may arrive swapped (several consumers on Redis Streams), so the later one by the User
/// service's clock wins.
/// </summary>
public sealed class UserBlocksHandler(FriendshipDbContext db, FriendGraph graph) : IEventHandler<UserBlocked>, IEventHandler<UserUnblocked>
{
    public Task HandleAsync(EventContext<UserBlocked> context, CancellationToken cancellationToken) =>
        db.ApplyOnceAsync(context.EventId, context.ConsumerGroup,
            ct => graph.ApplyBlockAsync(context.Event.BlockerId, context.Event.BlockedId, context.Event.BlockedAt, ct),
            cancellationToken);

    public Task HandleAsync(EventContext<UserUnblocked> context, CancellationToken cancellationToken) =>
        db.ApplyOnceAsync(context.EventId, context.ConsumerGroup,
            ct => graph.ApplyUnblockAsync(context.Event.BlockerId, context.Event.BlockedId, context.Event.UnblockedAt, ct),
            cancellationToken);
}
