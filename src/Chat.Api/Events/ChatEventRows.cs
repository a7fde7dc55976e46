using Chat.Api.Domain;
using Messenger.Contracts.Chat;
using Messenger.EventBus.Outbox;

namespace Chat.Api.Events;

/// <summary>The outbox rows of the events Chat publishes to <c>chat.messages</c>, keyed by conversation id.</summary>
public static class ChatEventRows
{
    /// <summary>The event id is the message id, so writing it again after a failure is recognised as the same event.</summary>
    public static OutboxRow Sent(NewMessage message, ChatMessage stored) => OutboxWriter.CreateRow(
        new MessageSent(
            stored.ConversationId,
            message.Conversation.Type,
            message.Conversation.Title,
            stored.MessageId,
            stored.Seq,
            stored.SenderId,
            message.SenderUsername,
            message.Content.Kind,
            ContentRules.Preview(message.Content),
            message.Conversation.MemberIds,
            stored.SentAt),
        stored.SentAt,
        stored.MessageId);

    public static OutboxRow Edited(ChatMessage message) => OutboxWriter.CreateRow(
        new MessageEdited(message.ConversationId, message.MessageId, message.Seq, message.SenderId,
            message.Content is null ? "" : ContentRules.Preview(message.Content), message.EditedAt!.Value),
        message.EditedAt);

    public static OutboxRow Deleted(ChatMessage message, DateTimeOffset deletedAt) => OutboxWriter.CreateRow(
        new MessageDeleted(message.ConversationId, message.MessageId, message.Seq, message.SenderId, deletedAt),
        deletedAt);

    public static OutboxRow Read(Guid conversationId, Guid userId, long seq, DateTimeOffset readAt) => OutboxWriter.CreateRow(
        new MessagesRead(conversationId, userId, seq, readAt),
        readAt);
}
