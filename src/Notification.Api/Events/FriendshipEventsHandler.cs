using Messenger.Contracts.Friendships;
using Messenger.EventBus.Consumers;
using Notification.Api.Domain;

namespace Notification.Api.Events;

/// <summary>
/// Friend requests and their answers: a request notifies the addressee, an acceptance notifies the
/// sender; an answered request counts as read, a withdrawn or blocked one is taken back. Applied once per event.
/// </summary>
public sealed class FriendshipEventsHandler(NotificationWriter writer, EventApplier applier)
    : IEventHandler<FriendRequestSent>, IEventHandler<FriendRequestAccepted>, IEventHandler<FriendRequestRejected>, IEventHandler<FriendRequestCancelled>
{
    public Task HandleAsync(EventContext<FriendRequestSent> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context, ct => writer.AddFriendRequestAsync(context.Event, ct), cancellationToken);

    public Task HandleAsync(EventContext<FriendRequestAccepted> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context, ct => writer.AddFriendAcceptedAsync(context.Event, ct), cancellationToken);

    public Task HandleAsync(EventContext<FriendRequestRejected> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context,
            ct => writer.EndFriendRequestAsync(context.Event.RequestId, context.Event.ToUserId, withdraw: false, ct), cancellationToken);

    public Task HandleAsync(EventContext<FriendRequestCancelled> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context,
            ct => writer.EndFriendRequestAsync(context.Event.RequestId, context.Event.ToUserId, withdraw: true, ct), cancellationToken);
}
