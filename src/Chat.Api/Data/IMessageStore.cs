using Chat.Api.Domain;

namespace Chat.Api.Data;

/// <summary>A page of history, newest first; <see cref="HasMore"/> says whether the page stopped at its limit.</summary>
public sealed record MessagePage(IReadOnlyList<ChatMessage> Items, bool HasMore);

/// <summary>
/// Where messages live: PostgreSQL (JSONB documents, the single-node default) or MongoDB
/// (<c>Chat:Store</c>). Both keep per-conversation seqs gap-free and a message's
/// (conversation, sender, clientMessageId) unique, and write the matching chat events to the outbox.
/// </summary>
public interface IMessageStore
{
    /// <summary>
    /// Stores a batch in one go: seqs in batch order per conversation, duplicates of earlier
    /// clientMessageIds answered with the stored message, <c>MessageSent</c> for every new one.
    /// Returns one outcome per input, in order.
    /// </summary>
    Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<NewMessage> messages, DateTimeOffset sentAt, CancellationToken cancellationToken);

    /// <summary>
    /// History newest first. Without <paramref name="afterSeq"/>: the latest messages below
    /// <paramref name="beforeSeq"/>. With it: the oldest messages above it (and below
    /// <paramref name="beforeSeq"/> when given).
    /// </summary>
    Task<MessagePage> GetPageAsync(Guid conversationId, long? beforeSeq, long? afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Messages after <paramref name="afterSeq"/> in seq order (a reconnecting client's catch-up).</summary>
    Task<MessagePage> GetAfterAsync(Guid conversationId, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>The messages at the given positions that exist (e.g. each conversation's last message).</summary>
    Task<IReadOnlyList<ChatMessage>> GetBySeqAsync(IReadOnlyList<(Guid ConversationId, long Seq)> positions, CancellationToken cancellationToken);

    Task<ChatMessage?> GetAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the text of the author's own text message, or the caption of their image or file (whose
    /// file stays), when <paramref name="content"/> is of the message's kind; publishes <c>MessageEdited</c>.
    /// </summary>
    Task<MessageChange> EditAsync(Guid conversationId, Guid messageId, Guid userId, MessageContent content, DateTimeOffset editedAt, CancellationToken cancellationToken);

    /// <summary>Turns the author's own message into a tombstone; publishes <c>MessageDeleted</c>.</summary>
    Task<MessageChange> DeleteAsync(Guid conversationId, Guid messageId, Guid userId, DateTimeOffset deletedAt, CancellationToken cancellationToken);

    /// <summary>Adds or removes one user's reaction.</summary>
    Task<MessageChange> SetReactionAsync(Guid conversationId, Guid messageId, Guid userId, string emoji, bool present, CancellationToken cancellationToken);

    /// <summary>Full-text search in the given conversations, newest first, below <paramref name="beforeMessageId"/> when given.</summary>
    Task<MessagePage> SearchAsync(IReadOnlyCollection<Guid> conversationIds, string query, Guid? beforeMessageId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Folds recently stored messages into the search index, off the writer's path (see
    /// docs/decisions/0035-chat-search-index-upkeep.md). Stores whose index needs no upkeep do nothing.
    /// </summary>
    Task MaintainSearchIndexAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
