using Messenger.Contracts.Chat;
using Messenger.EventBus.Consumers;
using Notification.Api.Delivery;
using Notification.Api.Domain;

namespace Notification.Api.Events;

/// <summary>
/// Turns chat events into grouped <c>messages</c> notifications. Each event is applied once: its id is
/// recorded in the transaction that changes the notifications, so a redelivery changes nothing. New
/// messages, the bulk of the topic, are applied a batch per transaction.
/// </summary>
public sealed class ChatEventsHandler(
    NotificationWriter writer,
    ViewingPresence presence,
    EventApplier applier)
    : IEventBatchHandler<MessageSent>, IEventHandler<MessageDeleted>, IEventHandler<MessageEdited>, IEventHandler<MessagesRead>
{
    public Task HandleAsync(EventContext<MessageSent> context, CancellationToken cancellationToken) =>
        HandleBatchAsync([context], cancellationToken);

    public async Task HandleBatchAsync(IReadOnlyList<EventContext<MessageSent>> events, CancellationToken cancellationToken)
    {
        // A redelivered event may come twice in one read.
        var distinct = events.DistinctBy(e => e.EventId).ToList();
        var recipients = await Task.WhenAll(distinct.Select(e => RecipientsAsync(e.Event)));
        var recipientsOf = distinct.Select((e, i) => (e.EventId, Recipients: recipients[i])).ToDictionary(r => r.EventId, r => r.Recipients);
        await applier.ApplyAsync(distinct,
            (fresh, ct) => writer.AddMessagesAsync([.. fresh.Select(e => (e.Event, recipientsOf[e.EventId]))], ct),
            cancellationToken);
    }

    public Task HandleAsync(EventContext<MessageDeleted> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context, ct => writer.RemoveMessageAsync(context.Event, ct), cancellationToken);

    public Task HandleAsync(EventContext<MessageEdited> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context, ct => writer.EditMessageAsync(context.Event, ct), cancellationToken);

    public Task HandleAsync(EventContext<MessagesRead> context, CancellationToken cancellationToken) =>
        applier.ApplyAsync(context, ct => writer.ReadConversationAsync(context.Event, ct), cancellationToken);

    /// <summary>Nobody is told about their own message, nor about one in a conversation they are looking at.</summary>
    private async Task<IReadOnlyCollection<Guid>> RecipientsAsync(MessageSent message)
    {
        var others = message.MemberIds.Where(id => id != message.SenderId).Distinct().ToList();
        var viewing = await presence.WhoIsViewingAsync(message.ConversationId, others);
        return [.. others.Where(id => !viewing.Contains(id))];
    }
}
