using MongoDB.Driver;

namespace Chat.Api.Data.Mongo;

/// <summary>
/// Every filter, update, sort and index the MongoDB store sends, in one place, so tests can render
/// them to BSON and check exactly what reaches the server.
/// </summary>
internal static class MongoCommands
{
    public const string MessagesCollection = "messages";
    public const string ConversationsCollection = "conversations";
    public const string HistoryIndexName = "conversationId_1_seq_-1";
    public const string ClientMessageIdIndexName = "conversationId_1_senderId_1_clientMessageId_1";
    public const string SearchIndexName = "content_text";

    private static FilterDefinitionBuilder<MessageDocument> Filter => Builders<MessageDocument>.Filter;

    /// <summary>
    /// History by seq (unique: one message per seq), idempotency by (conversation, sender,
    /// clientMessageId), and a text index for search.
    /// </summary>
    public static IReadOnlyList<CreateIndexModel<MessageDocument>> MessageIndexes { get; } =
    [
        new(Builders<MessageDocument>.IndexKeys.Ascending(m => m.ConversationId).Descending(m => m.Seq),
            new CreateIndexOptions { Name = HistoryIndexName, Unique = true }),
        new(Builders<MessageDocument>.IndexKeys.Ascending(m => m.ConversationId).Ascending(m => m.SenderId).Ascending(m => m.ClientMessageId),
            new CreateIndexOptions { Name = ClientMessageIdIndexName, Unique = true }),
        new(Builders<MessageDocument>.IndexKeys.Text(m => m.Content!.Text).Text(m => m.Content!.Name),
            new CreateIndexOptions { Name = SearchIndexName, DefaultLanguage = "none" }),
    ];

    /// <summary>The messages already stored under any of these (conversation, sender, clientMessageId) keys.</summary>
    public static FilterDefinition<MessageDocument> StoredWithKeys(IEnumerable<(Guid ConversationId, Guid SenderId, string ClientMessageId)> keys) =>
        Filter.Or(keys.Select(k =>
            Filter.Eq(m => m.ConversationId, k.ConversationId) & Filter.Eq(m => m.SenderId, k.SenderId) & Filter.Eq(m => m.ClientMessageId, k.ClientMessageId)));

    public static FilterDefinition<MessageDocument> WithIds(IEnumerable<Guid> ids) => Filter.In(m => m.Id, ids);

    public static FilterDefinition<ConversationCounter> Counter(Guid conversationId) =>
        Builders<ConversationCounter>.Filter.Eq(c => c.Id, conversationId);

    /// <summary>Takes <paramref name="count"/> seqs at once; the document is created on the first message.</summary>
    public static UpdateDefinition<ConversationCounter> TakeSeqs(int count, DateTime at) =>
        Builders<ConversationCounter>.Update.Inc(c => c.LastSeq, (long)count).Set(c => c.LastActivityAt, at);

    public static FindOneAndUpdateOptions<ConversationCounter> TakeSeqsOptions { get; } = new()
    {
        IsUpsert = true,
        ReturnDocument = ReturnDocument.After,
    };

    public static FilterDefinition<MessageDocument> Page(Guid conversationId, long? beforeSeq, long? afterSeq)
    {
        var filter = Filter.Eq(m => m.ConversationId, conversationId);
        if (beforeSeq is { } before)
        {
            filter &= Filter.Lt(m => m.Seq, before);
        }

        if (afterSeq is { } after)
        {
            filter &= Filter.Gt(m => m.Seq, after);
        }

        return filter;
    }

    public static SortDefinition<MessageDocument> BySeq(bool ascending) =>
        ascending ? Builders<MessageDocument>.Sort.Ascending(m => m.Seq) : Builders<MessageDocument>.Sort.Descending(m => m.Seq);

    public static FilterDefinition<MessageDocument> AtSeqs(IEnumerable<(Guid ConversationId, long Seq)> positions) =>
        Filter.Or(positions.Select(p => Filter.Eq(m => m.ConversationId, p.ConversationId) & Filter.Eq(m => m.Seq, p.Seq)));

    public static FilterDefinition<MessageDocument> Message(Guid conversationId, Guid messageId) =>
        Filter.Eq(m => m.Id, messageId) & Filter.Eq(m => m.ConversationId, conversationId);

    /// <summary>The author's own message, not deleted, of the same kind as the new content.</summary>
    public static FilterDefinition<MessageDocument> EditableBy(Guid conversationId, Guid messageId, Guid userId, string kind) =>
        Message(conversationId, messageId) & Filter.Eq(m => m.SenderId, userId) & Filter.Eq(m => m.DeletedAt, null) & Filter.Eq(m => m.Content!.Kind, kind);

    public static FilterDefinition<MessageDocument> DeletableBy(Guid conversationId, Guid messageId, Guid userId) =>
        Message(conversationId, messageId) & Filter.Eq(m => m.SenderId, userId) & Filter.Eq(m => m.DeletedAt, null);

    public static UpdateDefinition<MessageDocument> Edit(ContentDocument content, DateTime at) =>
        Builders<MessageDocument>.Update.Set(m => m.Content, content).Set(m => m.EditedAt, at);

    /// <summary>An attachment's new caption (none when null); the file fields stay.</summary>
    public static UpdateDefinition<MessageDocument> EditCaption(string? caption, DateTime at) =>
        (caption is null
            ? Builders<MessageDocument>.Update.Unset(m => m.Content!.Text)
            : Builders<MessageDocument>.Update.Set(m => m.Content!.Text, caption))
        .Set(m => m.EditedAt, at);

    public static UpdateDefinition<MessageDocument> Delete(DateTime at) =>
        Builders<MessageDocument>.Update.Unset(m => m.Content).Unset(m => m.Reactions).Set(m => m.DeletedAt, at);

    public static FilterDefinition<MessageDocument> Reactable(Guid conversationId, Guid messageId) =>
        Message(conversationId, messageId) & Filter.Eq(m => m.DeletedAt, null);

    public static UpdateDefinition<MessageDocument> AddReaction(string emoji, Guid userId) =>
        Builders<MessageDocument>.Update.AddToSet(m => m.Reactions, new ReactionDocument { Emoji = emoji, UserId = userId });

    public static UpdateDefinition<MessageDocument> RemoveReaction(string emoji, Guid userId) =>
        Builders<MessageDocument>.Update.PullFilter(m => m.Reactions, r => r.Emoji == emoji && r.UserId == userId);

    public static FilterDefinition<MessageDocument> Search(IEnumerable<Guid> conversationIds, string query, Guid? beforeMessageId)
    {
        var filter = Filter.Text(query) & Filter.In(m => m.ConversationId, conversationIds) & Filter.Eq(m => m.DeletedAt, null);
        return beforeMessageId is { } before ? filter & Filter.Lt(m => m.Id, before) : filter;
    }

    public static SortDefinition<MessageDocument> NewestIdFirst { get; } = Builders<MessageDocument>.Sort.Descending(m => m.Id);
}
