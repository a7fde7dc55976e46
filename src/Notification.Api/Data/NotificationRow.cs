namespace Notification.Api.Data;

/// <summary>
/// One notification of one user (table <c>notifications</c>). A <c>messages</c> notification groups
/// the unread messages of one conversation and is updated in place; the message columns
/// (<see cref="Count"/>, <see cref="Senders"/>, …) are null for the other kinds.
/// </summary>
public sealed class NotificationRow
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    /// <summary>See <see cref="Domain.NotificationKinds"/>.</summary>
    public required string Kind { get; set; }

    /// <summary>What the notification is about (e.g. <c>conversation:{id}</c>); at most one unread notification per user and subject.</summary>
    public required string Subject { get; set; }

    /// <summary>The kind's fixed data as a JSON object (ids, names, titles); grouped message fields are added when it is shown.</summary>
    public required string Data { get; set; }

    public int Count { get; set; }

    public List<string>? Senders { get; set; }

    public string? LastPreview { get; set; }

    public long? FirstSeq { get; set; }

    public long? LastSeq { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? ReadAt { get; set; }

    /// <summary>Set when what the notification announced went away (a deleted message, a withdrawn request) before it was read.</summary>
    public DateTimeOffset? WithdrawnAt { get; set; }

    /// <summary>The user's change sequence at this row's last change: the SSE event id, so a stream resumes after it.</summary>
    public long StreamSeq { get; set; }
}

/// <summary>A message counted in a <c>messages</c> notification (table <c>notification_messages</c>).</summary>
public sealed class GroupedMessage
{
    public Guid NotificationId { get; set; }

    public Guid MessageId { get; set; }

    public long Seq { get; set; }

    public required string SenderUsername { get; set; }

    public required string Preview { get; set; }

    public DateTimeOffset SentAt { get; set; }
}

/// <summary>The last change sequence handed out per user (table <c>user_streams</c>); its row lock orders a user's changes.</summary>
public sealed class UserStream
{
    public Guid UserId { get; set; }

    public long LastSeq { get; set; }
}

/// <summary>A conversation the user wants no notifications for (table <c>muted_conversations</c>).</summary>
public sealed class MutedConversation
{
    public Guid UserId { get; set; }

    public Guid ConversationId { get; set; }

    public DateTimeOffset MutedAt { get; set; }
}
