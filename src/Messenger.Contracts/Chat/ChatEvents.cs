namespace Messenger.Contracts.Chat;

/// <summary>
/// A message was stored. Carries the conversation's members so consumers (notifications) need
/// not ask Chat who should hear about it. Keyed by conversation id: per-conversation order.
/// </summary>
public sealed record MessageSent(
    Guid ConversationId,
    string ConversationType,
    string? ConversationTitle,
    Guid MessageId,
    long Seq,
    Guid SenderId,
    string SenderUsername,
    string ContentKind,
    string Preview,
    IReadOnlyList<Guid> MemberIds,
    DateTimeOffset SentAt)
    : IIntegrationEvent
{
    public static string EventType => "MessageSent";
    public static string Topic => Topics.ChatMessages;
    public string PartitionKey => ConversationId.ToString();
}

public sealed record MessageEdited(Guid ConversationId, Guid MessageId, long Seq, Guid SenderId, string Preview, DateTimeOffset EditedAt)
    : IIntegrationEvent
{
    public static string EventType => "MessageEdited";
    public static string Topic => Topics.ChatMessages;
    public string PartitionKey => ConversationId.ToString();
}

public sealed record MessageDeleted(Guid ConversationId, Guid MessageId, long Seq, Guid SenderId, DateTimeOffset DeletedAt)
    : IIntegrationEvent
{
    public static string EventType => "MessageDeleted";
    public static string Topic => Topics.ChatMessages;
    public string PartitionKey => ConversationId.ToString();
}

/// <summary><see cref="UserId"/> has read the conversation up to and including <see cref="Seq"/>.</summary>
public sealed record MessagesRead(Guid ConversationId, Guid UserId, long Seq, DateTimeOffset ReadAt) : IIntegrationEvent
{
    public static string EventType => "MessagesRead";
    public static string Topic => Topics.ChatMessages;
    public string PartitionKey => ConversationId.ToString();
}
