using Messenger.Contracts.Chat;
using Messenger.EventBus.Consumers;
using Notification.Api.Delivery;
using Notification.Api.Domain;

namespace Notification.Api.Events;

/// <summary>
/// Turns chat events into grouped <c>messages</c> notifications. Each event is applied once: its id is
/// recorded in the transaction that changes the notifications, so a redelivery changes nothing.
/// </summary>
public sealed class ChatEventsHandler(
    NotificationWriter writer,
    ViewingPresence presence,
    EventApplier applier)
    : IEventHandler<MessageSent>, IEventHandler<MessageDeleted>, IEventHandler<MessageEdited>, IEventHandler<MessagesRead>
{
    public async Task HandleAsync(EventContext<MessageSent> context, CancellationToken cancellationToken)
    {
        var message = context.Event;
        // Nobody is told about their own message, nor about one in a conversation they are looking at.
        var others = message.MemberIds.Where(id => id != message.SenderId).Distinct().ToList();
        var viewing = await presence.WhoIsViewingAsync(message.ConversationId, others);
        var recipients = others.Where(id => !viewing.Contains(id)).ToList();
        await applier.ApplyAsync(context, ct => writer.AddMessageAsync(message, recipients, ct), cancellationToken);
    }

    public Task HandleAsync(EventContext<MessageDeleted> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context, ct => writer.RemoveMessageAsync(context.Event, ct), cancellationToken);

    public Task HandleAsync(EventContext<MessageEdited> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context, ct => writer.EditMessageAsync(context.Event, ct), cancellationToken);

    public Task HandleAsync(EventContext<MessagesRead> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context, ct => writer.ReadConversationAsync(context.Event, ct), cancellationToken);
}
