using Chat.Api.Domain;
using Chat.Api.Events;
using Chat.Api.Realtime;
using Messenger.EventBus.Outbox;
using MongoDB.Driver;
using Npgsql;

namespace Chat.Api.Data.Mongo;

/// <summary>
/// Messages in MongoDB (the scale-out profile; collections <c>messages</c> and <c>conversations</c>,
/// shardable by conversation id). A batch takes each conversation's seqs with one atomic
/// <c>findOneAndUpdate $inc</c> on its counter, then inserts the messages unordered. Conversations,
/// members and the outbox stay in PostgreSQL (relational data is PostgreSQL in both profiles): after
/// the insert, one PostgreSQL transaction writes the <c>MessageSent</c> rows and the conversations'
/// last seq and activity. See docs/decisions for how this keeps events and seqs honest without a
/// transaction spanning both stores.
/// </summary>
internal sealed class MongoMessageStore(IMongoDatabase database, NpgsqlDataSource dataSource) : IMessageStore
{
    private const int DuplicateKey = 11000;

    private readonly IMongoCollection<MessageDocument> messages = database.GetCollection<MessageDocument>(MongoCommands.MessagesCollection);
    private readonly IMongoCollection<ConversationCounter> counters = database.GetCollection<ConversationCounter>(MongoCommands.ConversationsCollection);
    private Task? indexes;

    /// <summary>
    /// Builds the indexes once. A build that failed (MongoDB unreachable at first use) is started again by
    /// the next caller, so the store recovers with MongoDB instead of failing until a restart.
    /// </summary>
    private Task EnsureIndexesAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref indexes);
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            var attempt = messages.Indexes.CreateManyAsync(MongoCommands.MessageIndexes, CancellationToken.None);
            // Index creation is idempotent: when two callers race, the loser's build is merely redundant.
            current = Interlocked.CompareExchange(ref indexes, attempt, current) == current ? attempt : Volatile.Read(ref indexes)!;
        }

        return current.WaitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<NewMessage> batch, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        await EnsureIndexesAsync(cancellationToken);
        var keys = batch.Select(m => (m.ConversationId, m.SenderId, m.ClientMessageId)).Distinct().ToList();
        var stored = (await messages.Find(MongoCommands.StoredWithKeys(keys)).ToListAsync(cancellationToken))
            .ToDictionary(d => (d.ConversationId, d.SenderId, d.ClientMessageId), d => d.ToMessage());
        var replyIds = batch.Where(m => m.ReplyTo is not null).Select(m => m.ReplyTo!.Value).Distinct().ToList();
        var replyTargets = replyIds.Count == 0
            ? []
            : (await messages.Find(MongoCommands.WithIds(replyIds)).ToListAsync(cancellationToken)).ToDictionary(d => d.Id, d => d.ConversationId);

        var outcomes = new AppendOutcome?[batch.Count];
        var fresh = new List<int>();
        var firstOfKey = new Dictionary<(Guid, Guid, string), int>();
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];
            var key = (message.ConversationId, message.SenderId, message.ClientMessageId);
            if (stored.TryGetValue(key, out var earlier))
            {
                outcomes[i] = AppendOutcome.Duplicate(earlier);
            }
            else if (!firstOfKey.ContainsKey(key))
            {
                if (message.ReplyTo is { } replyTo && (!replyTargets.TryGetValue(replyTo, out var target) || target != message.ConversationId))
                {
                    outcomes[i] = AppendOutcome.Refused(ErrorCodes.ReplyNotFound, "replyTo is not a message of this conversation.");
                }
                else
                {
                    firstOfKey[key] = i;
                    fresh.Add(i);
                }
            }
        }

        var documents = new List<(int Index, MessageDocument Document)>(fresh.Count);
        foreach (var group in fresh.GroupBy(i => batch[i].ConversationId))
        {
            var indices = group.ToList();
            var counter = await counters.FindOneAndUpdateAsync(
                MongoCommands.Counter(group.Key), MongoCommands.TakeSeqs(indices.Count, sentAt.UtcDateTime), MongoCommands.TakeSeqsOptions, cancellationToken);
            var seq = counter.LastSeq - indices.Count + 1;
            foreach (var i in indices)
            {
                var source = batch[i];
                var message = new ChatMessage(source.MessageId, source.ConversationId, seq++, source.SenderId, source.ClientMessageId, source.Content, sentAt, ReplyTo: source.ReplyTo);
                documents.Add((i, MessageDocument.From(message)));
                outcomes[i] = AppendOutcome.Stored(message);
            }
        }

        await InsertAsync(batch, documents, outcomes, sentAt, cancellationToken);

        for (var i = 0; i < batch.Count; i++)
        {
            outcomes[i] ??= AppendOutcome.Duplicate(outcomes[firstOfKey[(batch[i].ConversationId, batch[i].SenderId, batch[i].ClientMessageId)]]!.Message!);
        }

        // Duplicates write their event again under the same id (the message id): if the first
        // attempt stored the message but failed before its event, this resend publishes it.
        var events = outcomes.Select((o, i) => (Outcome: o!, Source: batch[i])).Where(x => x.Outcome.Message is not null).DistinctBy(x => x.Outcome.Message!.MessageId).ToList();
        await RecordInPostgresAsync(events, sentAt, cancellationToken);
        return outcomes!;
    }

    /// <summary>
    /// Inserts unordered. A duplicate-key failure means another instance stored the same
    /// clientMessageId a moment ago: that message is the answer, and the seq taken for this copy is
    /// filled with a tombstone so the conversation stays gap-free.
    /// </summary>
    private async Task InsertAsync(IReadOnlyList<NewMessage> batch, List<(int Index, MessageDocument Document)> documents, AppendOutcome?[] outcomes, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            return;
        }

        try
        {
            await messages.InsertManyAsync(documents.Select(d => d.Document), new InsertManyOptions { IsOrdered = false }, cancellationToken);
        }
        catch (MongoBulkWriteException<MessageDocument> ex) when (ex.WriteErrors.All(e => e.Code == DuplicateKey))
        {
            foreach (var error in ex.WriteErrors)
            {
                var (index, document) = documents[error.Index];
                var source = batch[index];
                var winner = await messages.Find(MongoCommands.StoredWithKeys([(source.ConversationId, source.SenderId, source.ClientMessageId)]))
                    .FirstOrDefaultAsync(cancellationToken);
                if (winner is null)
                {
                    throw;
                }

                outcomes[index] = AppendOutcome.Duplicate(winner.ToMessage());
                await messages.InsertOneAsync(new MessageDocument
                {
                    Id = MessageIds.New(),
                    ConversationId = document.ConversationId,
                    Seq = document.Seq,
                    SenderId = document.SenderId,
                    ClientMessageId = "~void:" + document.Seq,
                    SentAt = sentAt.UtcDateTime,
                    DeletedAt = sentAt.UtcDateTime,
                }, cancellationToken: cancellationToken);
            }
        }
    }

    private async Task RecordInPostgresAsync(List<(AppendOutcome Outcome, NewMessage Source)> stored, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (stored.Count == 0)
        {
            return;
        }

        // One batch is one implicit transaction: the conversations' positions, the events and the read positions together.
        var lastSeqs = stored.GroupBy(s => s.Outcome.Message!.ConversationId).ToDictionary(g => g.Key, g => g.Max(s => s.Outcome.Message!.Seq));
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(PostgresMessageStore.Command(
            "UPDATE conversations c SET last_seq = GREATEST(c.last_seq, v.seq), last_activity_at = GREATEST(c.last_activity_at, $3) " +
            "FROM unnest($1::uuid[], $2::bigint[]) AS v(id, seq) WHERE c.id = v.id",
            lastSeqs.Keys.ToArray(),
            lastSeqs.Values.ToArray(),
            at));
        batch.BatchCommands.Add(OutboxWriter.InsertManyCommand([.. stored.Select(s => ChatEventRows.Sent(s.Source, s.Outcome.Message!))]));
        batch.BatchCommands.Add(PostgresMessageStore.MarkReadBySenders(stored.Where(s => s.Outcome.IsNew).Select(s => s.Outcome.Message!)));
        foreach (var command in AttachmentStore.RecordPosts(stored.Select(s => s.Outcome.Message!)))
        {
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<MessagePage> GetPageAsync(Guid conversationId, long? beforeSeq, long? afterSeq, int limit, CancellationToken cancellationToken)
    {
        var ascending = afterSeq is not null;
        var items = await FindAsync(MongoCommands.Page(conversationId, beforeSeq, afterSeq), MongoCommands.BySeq(ascending), limit + 1, cancellationToken);
        var hasMore = Trim(items, limit);
        if (ascending)
        {
            items.Reverse();
        }

        return new MessagePage(items, hasMore);
    }

    public async Task<MessagePage> GetAfterAsync(Guid conversationId, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var items = await FindAsync(MongoCommands.Page(conversationId, null, afterSeq), MongoCommands.BySeq(ascending: true), limit + 1, cancellationToken);
        return new MessagePage(items, Trim(items, limit));
    }

    public async Task<IReadOnlyList<ChatMessage>> GetBySeqAsync(IReadOnlyList<(Guid ConversationId, long Seq)> positions, CancellationToken cancellationToken) =>
        positions.Count == 0 ? [] : await FindAsync(MongoCommands.AtSeqs(positions), null, positions.Count, cancellationToken);

    public async Task<ChatMessage?> GetAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken) =>
        (await messages.Find(MongoCommands.Message(conversationId, messageId)).FirstOrDefaultAsync(cancellationToken))?.ToMessage();

    public async Task<MessageChange> EditAsync(Guid conversationId, Guid messageId, Guid userId, MessageContent content, DateTimeOffset editedAt, CancellationToken cancellationToken)
    {
        var changed = await messages.FindOneAndUpdateAsync(
            MongoCommands.EditableBy(conversationId, messageId, userId, content.Kind),
            content.Kind == "text"
                ? MongoCommands.Edit(ContentDocument.From(content), editedAt.UtcDateTime)
                : MongoCommands.EditCaption(content.Text, editedAt.UtcDateTime),
            new FindOneAndUpdateOptions<MessageDocument> { ReturnDocument = ReturnDocument.After },
            cancellationToken);
        return await ConcludeAsync(changed, conversationId, messageId, userId, authorOnly: true, ChatEventRows.Edited, cancellationToken);
    }

    public async Task<MessageChange> DeleteAsync(Guid conversationId, Guid messageId, Guid userId, DateTimeOffset deletedAt, CancellationToken cancellationToken)
    {
        var changed = await messages.FindOneAndUpdateAsync(
            MongoCommands.DeletableBy(conversationId, messageId, userId),
            MongoCommands.Delete(deletedAt.UtcDateTime),
            new FindOneAndUpdateOptions<MessageDocument> { ReturnDocument = ReturnDocument.After },
            cancellationToken);
        return await ConcludeAsync(changed, conversationId, messageId, userId, authorOnly: true, m => ChatEventRows.Deleted(m, deletedAt), cancellationToken);
    }

    public async Task<MessageChange> SetReactionAsync(Guid conversationId, Guid messageId, Guid userId, string emoji, bool present, CancellationToken cancellationToken)
    {
        var before = await messages.FindOneAndUpdateAsync(
            MongoCommands.Reactable(conversationId, messageId),
            present ? MongoCommands.AddReaction(emoji, userId) : MongoCommands.RemoveReaction(emoji, userId),
            new FindOneAndUpdateOptions<MessageDocument> { ReturnDocument = ReturnDocument.Before },
            cancellationToken);
        if (before is null)
        {
            return await ConcludeAsync(null, conversationId, messageId, userId, authorOnly: false, null, cancellationToken);
        }

        var had = before.Reactions?.Any(r => r.Emoji == emoji && r.UserId == userId) == true;
        var after = await GetAsync(conversationId, messageId, cancellationToken);
        return had == present ? MessageChange.Unchanged(after!) : MessageChange.Changed(after!);
    }

    public async Task<MessagePage> SearchAsync(IReadOnlyCollection<Guid> conversationIds, string query, Guid? beforeMessageId, int limit, CancellationToken cancellationToken)
    {
        if (conversationIds.Count == 0)
        {
            return new MessagePage([], false);
        }

        await EnsureIndexesAsync(cancellationToken);
        var items = await FindAsync(MongoCommands.Search(conversationIds, query, beforeMessageId), MongoCommands.NewestIdFirst, limit + 1, cancellationToken);
        return new MessagePage(items, Trim(items, limit));
    }

    private async Task<MessageChange> ConcludeAsync(
        MessageDocument? changed, Guid conversationId, Guid messageId, Guid userId, bool authorOnly, Func<ChatMessage, OutboxRow>? eventFor, CancellationToken cancellationToken)
    {
        if (changed is null)
        {
            var current = await GetAsync(conversationId, messageId, cancellationToken);
            return MessageChange.Unapplied(current, userId, authorOnly);
        }

        var message = changed.ToMessage();
        if (eventFor is not null)
        {
            await using var insert = dataSource.CreateBatch();
            insert.BatchCommands.Add(OutboxWriter.InsertCommand(eventFor(message)));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        return MessageChange.Changed(message);
    }

    private async Task<List<ChatMessage>> FindAsync(FilterDefinition<MessageDocument> filter, SortDefinition<MessageDocument>? sort, int limit, CancellationToken cancellationToken)
    {
        var find = messages.Find(filter);
        if (sort is not null)
        {
            find = find.Sort(sort);
        }

        return [.. (await find.Limit(limit).ToListAsync(cancellationToken)).Select(d => d.ToMessage())];
    }

    private static bool Trim(List<ChatMessage> items, int limit)
    {
        if (items.Count <= limit)
        {
            return false;
        }

        items.RemoveAt(limit);
        return true;
    }
}
