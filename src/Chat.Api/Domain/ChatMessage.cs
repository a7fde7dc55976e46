namespace Chat.Api.Domain;

/// <summary>
/// What a message says: <c>{kind:"text", text}</c>, or an attachment (<c>image</c>, <c>file</c>):
/// an uploaded one by <c>attachmentId</c> (the server fills in <c>name</c>, <c>size</c>,
/// <c>mimeType</c> and, for pictures, <c>width</c>/<c>height</c> from its record), or a link to
/// elsewhere by <c>url</c> with the client's <c>name</c>, <c>size</c> and <c>mimeType</c>.
/// </summary>
public sealed record MessageContent(
    string Kind,
    string? Text = null,
    string? Url = null,
    string? AttachmentId = null,
    string? Name = null,
    long? Size = null,
    string? MimeType = null,
    int? Width = null,
    int? Height = null);

/// <summary>One reaction emoji on a message and who gave it.</summary>
public sealed record Reaction(string Emoji, int Count, IReadOnlyList<Guid> UserIds);

/// <summary>
/// A stored message (DESIGN §3a). A deleted message stays as a tombstone: same seq, no content,
/// <see cref="Deleted"/> true, so a conversation's seqs stay gap-free.
/// </summary>
public sealed record ChatMessage(
    Guid MessageId,
    Guid ConversationId,
    long Seq,
    Guid SenderId,
    string ClientMessageId,
    MessageContent? Content,
    DateTimeOffset SentAt,
    DateTimeOffset? EditedAt = null,
    bool? Deleted = null,
    Guid? ReplyTo = null,
    IReadOnlyList<Reaction>? Reactions = null);

/// <summary>A message accepted by a socket and waiting for the writer to store it.</summary>
/// <param name="Conversation">The conversation as the sender's membership check saw it.</param>
public sealed record NewMessage(
    Guid MessageId,
    ConversationSnapshot Conversation,
    Guid SenderId,
    string SenderUsername,
    string ClientMessageId,
    MessageContent Content,
    Guid? ReplyTo)
{
    public Guid ConversationId => Conversation.Id;
}

/// <summary>What became of one <see cref="NewMessage"/> in a write batch.</summary>
/// <param name="Message">The stored message: the new one, or the one stored earlier with the same clientMessageId.</param>
/// <param name="IsNew">False when the clientMessageId had been stored before (the same ack is sent again, nothing is delivered).</param>
/// <param name="ErrorCode">Set when the message was refused (then <paramref name="Message"/> is null).</param>
public sealed record AppendOutcome(ChatMessage? Message, bool IsNew, string? ErrorCode = null, string? ErrorMessage = null)
{
    public static AppendOutcome Stored(ChatMessage message) => new(message, true);

    public static AppendOutcome Duplicate(ChatMessage message) => new(message, false);

    public static AppendOutcome Refused(string code, string message) => new(null, false, code, message);
}

/// <summary>The result of editing, deleting or reacting to a message.</summary>
public enum MessageChangeStatus
{
    Changed,
    NotFound,
    NotAuthor,
    AlreadyDeleted,
    Unchanged,
}

public sealed record MessageChange(MessageChangeStatus Status, ChatMessage? Message = null)
{
    public static readonly MessageChange NotFound = new(MessageChangeStatus.NotFound);
    public static readonly MessageChange NotAuthor = new(MessageChangeStatus.NotAuthor);
    public static readonly MessageChange AlreadyDeleted = new(MessageChangeStatus.AlreadyDeleted);

    public static MessageChange Changed(ChatMessage message) => new(MessageChangeStatus.Changed, message);

    public static MessageChange Unchanged(ChatMessage message) => new(MessageChangeStatus.Unchanged, message);

    /// <summary>Why a conditional change matched nothing, judged from the message as it is now.</summary>
    public static MessageChange Unapplied(ChatMessage? current, Guid userId, bool authorOnly) => current switch
    {
        null => NotFound,
        _ when authorOnly && current.SenderId != userId => NotAuthor,
        { Deleted: true } => AlreadyDeleted,
        _ => Unchanged(current),
    };
}
