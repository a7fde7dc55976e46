using System.Text.Json;
using Chat.Api.Domain;
using Chat.Api.Events;
using Chat.Api.Realtime;
using Messenger.EventBus.Outbox;
using Npgsql;

namespace Chat.Api.Data;

/// <summary>
/// Messages as JSONB documents in Chat's PostgreSQL database (the single-node profile). A batch is
/// one transaction: lock the batch's conversation rows (in id order, so instances never deadlock),
/// advance each conversation's <c>last_seq</c> by its messages, insert the messages (the unique
/// index catches resent clientMessageIds) with their <c>MessageSent</c> outbox rows, commit. Seqs
/// are gap-free because they are taken and used in the same transaction, under the row lock.
/// </summary>
public sealed class PostgresMessageStore(NpgsqlDataSource dataSource) : IMessageStore
{
    private const string Columns =
        "id, conversation_id, seq, sender_id, client_message_id, content::text, sent_at, edited_at, deleted_at, reply_to, reactions::text";

    public async Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<NewMessage> messages, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AppendOnceAsync(messages, sentAt, cancellationToken);
            }
            catch (PostgresException ex) when (attempt < 3 && ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected)
            {
                // Cannot happen under the conversation locks; if it does, the whole batch is tried again.
            }
        }
    }

    private async Task<IReadOnlyList<AppendOutcome>> AppendOnceAsync(IReadOnlyList<NewMessage> messages, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var outcomes = new AppendOutcome?[messages.Count];
        var firstOfKey = new Dictionary<(Guid, Guid, string), int>();
        var replyTargets = await ReplyTargetsAsync(connection, transaction, messages, cancellationToken);

        // Duplicates inside the batch are answered like their first; bad replies are refused.
        var candidates = new List<int>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var key = (message.ConversationId, message.SenderId, message.ClientMessageId);
            if (firstOfKey.ContainsKey(key))
            {
                continue;
            }

            if (message.ReplyTo is { } replyTo && (!replyTargets.TryGetValue(replyTo, out var replyConversation) || replyConversation != message.ConversationId))
            {
                outcomes[i] = AppendOutcome.Refused(ErrorCodes.ReplyNotFound, "replyTo is not a message of this conversation.");
                continue;
            }

            firstOfKey[key] = i;
            candidates.Add(i);
        }

        var stored = new Dictionary<(Guid, Guid, string), ChatMessage>();
        if (candidates.Count > 0 && !await TryInsertAsync(connection, transaction, messages, candidates, outcomes, stored, sentAt, cancellationToken))
        {
            // Some clientMessageIds were stored before (a resend): the lock is held, so the earlier
            // rows are visible now. Answer those with the stored message and number only the rest.
            await using (var lookup = new NpgsqlBatch(connection, transaction))
            {
                lookup.BatchCommands.Add(Command(
                    "SELECT " + Columns + " FROM messages WHERE (conversation_id, sender_id, client_message_id) IN " +
                    "(SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]))",
                    candidates.Select(i => messages[i].ConversationId).ToArray(),
                    candidates.Select(i => messages[i].SenderId).ToArray(),
                    candidates.Select(i => messages[i].ClientMessageId).ToArray()));
                await using var reader = await lookup.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var message = ReadMessage(reader);
                    stored[(message.ConversationId, message.SenderId, message.ClientMessageId)] = message;
                }
            }

            foreach (var i in candidates)
            {
                outcomes[i] = null;
            }

            var rest = new List<int>();
            foreach (var i in candidates)
            {
                if (stored.TryGetValue((messages[i].ConversationId, messages[i].SenderId, messages[i].ClientMessageId), out var earlier))
                {
                    outcomes[i] = AppendOutcome.Duplicate(earlier);
                }
                else
                {
                    rest.Add(i);
                }
            }

            if (rest.Count > 0 && !await TryInsertAsync(connection, transaction, messages, rest, outcomes, stored, sentAt, cancellationToken))
            {
                throw new InvalidOperationException("A message conflicted with one stored under the conversation's lock.");
            }
        }

        await transaction.CommitAsync(cancellationToken);

        for (var i = 0; i < messages.Count; i++)
        {
            if (outcomes[i] is null)
            {
                var first = outcomes[firstOfKey[(messages[i].ConversationId, messages[i].SenderId, messages[i].ClientMessageId)]]!;
                outcomes[i] = first.Message is { } message ? AppendOutcome.Duplicate(message) : first;
            }
        }

        return outcomes!;
    }

    /// <summary>The conversations of the messages the batch replies to.</summary>
    private static async Task<Dictionary<Guid, Guid>> ReplyTargetsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken)
    {
        var targets = new Dictionary<Guid, Guid>();
        var replyIds = messages.Where(m => m.ReplyTo is not null).Select(m => m.ReplyTo!.Value).Distinct().ToArray();
        if (replyIds.Length == 0)
        {
            return targets;
        }

        await using var command = new NpgsqlCommand("SELECT id, conversation_id FROM messages WHERE id = ANY($1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = replyIds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            targets[reader.GetGuid(0)] = reader.GetGuid(1);
        }

        return targets;
    }

    /// <summary>
    /// Locks the conversations (in id order, so instances never deadlock), takes one seq per message,
    /// and inserts the messages, their events and the senders' read positions. The unique index on
    /// (conversation, sender, clientMessageId) checks for resends as part of the insert, so the usual
    /// case costs no lookup. If any message was stored before, everything since the savepoint is
    /// undone and false returned: the seqs are not used, and the caller numbers again without them.
    /// </summary>
    private static async Task<bool> TryInsertAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        IReadOnlyList<NewMessage> messages,
        List<int> candidates,
        AppendOutcome?[] outcomes,
        Dictionary<(Guid, Guid, string), ChatMessage> stored,
        DateTimeOffset sentAt,
        CancellationToken cancellationToken)
    {
        var counts = new Dictionary<Guid, int>();
        foreach (var i in candidates)
        {
            counts[messages[i].ConversationId] = counts.GetValueOrDefault(messages[i].ConversationId) + 1;
        }

        var nextSeq = new Dictionary<Guid, long>(counts.Count);
        await using (var allocate = new NpgsqlBatch(connection, transaction))
        {
            // The locks are taken before the savepoint, so undoing to it keeps them.
            allocate.BatchCommands.Add(Command("SELECT id FROM conversations WHERE id = ANY($1) ORDER BY id FOR UPDATE", counts.Keys.Order().ToArray()));
            allocate.BatchCommands.Add(new NpgsqlBatchCommand("SAVEPOINT append"));
            allocate.BatchCommands.Add(Command(
                "UPDATE conversations c SET last_seq = c.last_seq + v.n, last_activity_at = $3 " +
                "FROM unnest($1::uuid[], $2::int[]) AS v(id, n) WHERE c.id = v.id RETURNING c.id, c.last_seq",
                counts.Keys.ToArray(),
                counts.Values.ToArray(),
                sentAt));
            await using var reader = await allocate.ExecuteReaderAsync(cancellationToken);
            do
            {
                // The lock's rows have one column, the seqs two.
                while (reader.FieldCount == 2 && await reader.ReadAsync(cancellationToken))
                {
                    var id = reader.GetGuid(0);
                    nextSeq[id] = reader.GetInt64(1) - counts[id] + 1;
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        var rows = new List<(NewMessage Source, ChatMessage Message)>(candidates.Count);
        foreach (var i in candidates)
        {
            var source = messages[i];
            if (!nextSeq.TryGetValue(source.ConversationId, out var seq))
            {
                outcomes[i] = AppendOutcome.Refused(ErrorCodes.NotFound, "The conversation does not exist.");
                continue;
            }

            nextSeq[source.ConversationId] = seq + 1;
            var message = new ChatMessage(source.MessageId, source.ConversationId, seq, source.SenderId, source.ClientMessageId, source.Content, sentAt, ReplyTo: source.ReplyTo);
            rows.Add((source, message));
            outcomes[i] = AppendOutcome.Stored(message);
        }

        if (rows.Count == 0)
        {
            return true;
        }

        int inserted;
        await using (var write = new NpgsqlBatch(connection, transaction))
        {
            // The messages, their events and the senders' read positions go in one round trip.
            write.BatchCommands.Add(Command(
                "INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, content, sent_at, reply_to) " +
                "SELECT id, c, seq, sender, cm, content::jsonb, $7, reply FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], $8::uuid[]) " +
                "AS v(id, c, seq, sender, cm, content, reply) ON CONFLICT (conversation_id, sender_id, client_message_id) DO NOTHING RETURNING 1",
                rows.Select(r => r.Message.MessageId).ToArray(),
                rows.Select(r => r.Message.ConversationId).ToArray(),
                rows.Select(r => r.Message.Seq).ToArray(),
                rows.Select(r => r.Message.SenderId).ToArray(),
                rows.Select(r => r.Message.ClientMessageId).ToArray(),
                rows.Select(r => SerializeContent(r.Message.Content!)).ToArray(),
                sentAt,
                rows.Select(r => r.Message.ReplyTo).ToArray()));
            write.BatchCommands.Add(OutboxWriter.InsertManyCommand([.. rows.Select(r => ChatEventRows.Sent(r.Source, r.Message))]));
            write.BatchCommands.Add(MarkReadBySenders(rows.Select(r => r.Message)));
            foreach (var command in AttachmentStore.RecordPosts(rows.Select(r => r.Message)))
            {
                write.BatchCommands.Add(command);
            }
            await using var reader = await write.ExecuteReaderAsync(cancellationToken);
            inserted = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted++;
            }

            while (await reader.NextResultAsync(cancellationToken))
            {
                // Runs the rest of the batch here, so its errors surface here.
            }
        }

        if (inserted == rows.Count)
        {
            return true;
        }

        await using var undo = new NpgsqlCommand("ROLLBACK TO SAVEPOINT append", connection, transaction);
        await undo.ExecuteNonQueryAsync(cancellationToken);
        return false;
    }

    /// <summary>A sender has read their conversation up to their own message.</summary>
    internal static NpgsqlBatchCommand MarkReadBySenders(IEnumerable<ChatMessage> messages)
    {
        var highest = new Dictionary<(Guid Conversation, Guid Sender), long>();
        foreach (var message in messages)
        {
            var key = (message.ConversationId, message.SenderId);
            highest[key] = Math.Max(highest.GetValueOrDefault(key), message.Seq);
        }

        return Command(
            "UPDATE conversation_members m SET last_read_seq = v.seq FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS v(c, u, seq) " +
            "WHERE m.conversation_id = v.c AND m.user_id = v.u AND m.last_read_seq < v.seq",
            highest.Keys.Select(k => k.Conversation).ToArray(),
            highest.Keys.Select(k => k.Sender).ToArray(),
            highest.Values.ToArray());
    }

    public async Task<MessagePage> GetPageAsync(Guid conversationId, long? beforeSeq, long? afterSeq, int limit, CancellationToken cancellationToken)
    {
        var ascending = afterSeq is not null;
        var sql = "SELECT " + Columns + " FROM messages WHERE conversation_id = $1 AND seq < $2 AND seq > $3 ORDER BY seq " +
            (ascending ? "ASC" : "DESC") + " LIMIT $4";
        var items = await QueryAsync(sql, cancellationToken, conversationId, beforeSeq ?? long.MaxValue, afterSeq ?? 0L, limit + 1);
        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(limit);
        }

        if (ascending)
        {
            items.Reverse();
        }

        return new MessagePage(items, hasMore);
    }

    public async Task<MessagePage> GetAfterAsync(Guid conversationId, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var items = await QueryAsync(
            "SELECT " + Columns + " FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            cancellationToken, conversationId, afterSeq, limit + 1);
        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(limit);
        }

        return new MessagePage(items, hasMore);
    }

    public async Task<IReadOnlyList<ChatMessage>> GetBySeqAsync(IReadOnlyList<(Guid ConversationId, long Seq)> positions, CancellationToken cancellationToken) =>
        positions.Count == 0
            ? []
            : await QueryAsync(
                "SELECT " + Columns + " FROM unnest($1::uuid[], $2::bigint[]) AS k(c, s) CROSS JOIN LATERAL " +
                "(SELECT * FROM messages x WHERE x.conversation_id = k.c AND x.seq = k.s) m",
                cancellationToken, positions.Select(p => p.ConversationId).ToArray(), positions.Select(p => p.Seq).ToArray());

    public async Task<ChatMessage?> GetAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken) =>
        (await QueryAsync("SELECT " + Columns + " FROM messages WHERE id = $1 AND conversation_id = $2", cancellationToken, messageId, conversationId))
        .SingleOrDefault();

    public Task<MessageChange> EditAsync(Guid conversationId, Guid messageId, Guid userId, MessageContent content, DateTimeOffset editedAt, CancellationToken cancellationToken) =>
        ChangeAsync(
            // A text message gets the new content; an attachment keeps its file and gets the new caption.
            "UPDATE messages SET content = CASE WHEN $6 = 'text' THEN $4::jsonb " +
            "ELSE (content - 'text') || jsonb_strip_nulls(jsonb_build_object('text', $7::text)) END, edited_at = $5 " +
            "WHERE id = $1 AND conversation_id = $2 AND sender_id = $3 AND deleted_at IS NULL AND content->>'kind' = $6 RETURNING " + Columns,
            [messageId, conversationId, userId, SerializeContent(content), editedAt, content.Kind, (object?)content.Text ?? DBNull.Value],
            conversationId, messageId, userId, authorOnly: true, ChatEventRows.Edited, cancellationToken);

    public Task<MessageChange> DeleteAsync(Guid conversationId, Guid messageId, Guid userId, DateTimeOffset deletedAt, CancellationToken cancellationToken) =>
        ChangeAsync(
            "UPDATE messages SET content = NULL, reactions = NULL, deleted_at = $4 WHERE id = $1 AND conversation_id = $2 AND sender_id = $3 " +
            "AND deleted_at IS NULL RETURNING " + Columns,
            [messageId, conversationId, userId, deletedAt],
            conversationId, messageId, userId, authorOnly: true, m => ChatEventRows.Deleted(m, deletedAt), cancellationToken);

    public Task<MessageChange> SetReactionAsync(Guid conversationId, Guid messageId, Guid userId, string emoji, bool present, CancellationToken cancellationToken)
    {
        var entry = JsonSerializer.Serialize(new List<ReactionEntry> { new(emoji, userId) }, ChatJsonContext.Default.ListReactionEntry);
        var sql = present
            ? "UPDATE messages SET reactions = coalesce(reactions, '[]'::jsonb) || $3::jsonb WHERE id = $1 AND conversation_id = $2 " +
              "AND deleted_at IS NULL AND NOT coalesce(reactions, '[]'::jsonb) @> $3::jsonb RETURNING " + Columns
            : "UPDATE messages SET reactions = (SELECT coalesce(jsonb_agg(r), '[]'::jsonb) FROM jsonb_array_elements(reactions) r WHERE NOT (r @> (($3::jsonb)->0))) " +
              "WHERE id = $1 AND conversation_id = $2 AND deleted_at IS NULL AND reactions @> $3::jsonb RETURNING " + Columns;
        return ChangeAsync(sql, [messageId, conversationId, entry], conversationId, messageId, userId, authorOnly: false, eventFor: null, cancellationToken);
    }

    public async Task<MessagePage> SearchAsync(IReadOnlyCollection<Guid> conversationIds, string query, Guid? beforeMessageId, int limit, CancellationToken cancellationToken)
    {
        if (conversationIds.Count == 0)
        {
            return new MessagePage([], false);
        }

        var items = await QueryAsync(
            "SELECT " + Columns + " FROM messages WHERE conversation_id = ANY($1) AND deleted_at IS NULL " +
            "AND search @@ websearch_to_tsquery('simple'::regconfig, $2) AND id < $3 ORDER BY id DESC LIMIT $4",
            cancellationToken, conversationIds.ToArray(), query, beforeMessageId ?? new Guid("ffffffff-ffff-ffff-ffff-ffffffffffff"), limit + 1);
        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(limit);
        }

        return new MessagePage(items, hasMore);
    }

    /// <summary>
    /// Moves the GIN search index's pending list (where inserts put their entries cheaply) into the
    /// index proper. Left alone, the insert that finds the list over <c>gin_pending_list_limit</c>
    /// (4 MB, ~14,000 short messages) merges it itself, inside the writer's transaction: a stall of
    /// 100 ms or more every few seconds at high rates. Done here, on another connection, the merge runs
    /// beside the writer: an insert that finds a merge under way does not wait for it.
    /// </summary>
    public async Task MaintainSearchIndexAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT gin_clean_pending_list('ix_messages_search'::regclass)");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>
    /// Runs one conditional UPDATE and, when it changed the message, its event, in one transaction.
    /// When nothing changed, says why (missing, someone else's, deleted, or already so).
    /// </summary>
    private async Task<MessageChange> ChangeAsync(
        string sql,
        object[] parameters,
        Guid conversationId,
        Guid messageId,
        Guid userId,
        bool authorOnly,
        Func<ChatMessage, OutboxRow>? eventFor,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        ChatMessage? changed;
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            foreach (var value in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            changed = await reader.ReadAsync(cancellationToken) ? ReadMessage(reader) : null;
        }

        if (changed is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            var current = await GetAsync(conversationId, messageId, cancellationToken);
            return MessageChange.Unapplied(current, userId, authorOnly);
        }

        if (eventFor is not null)
        {
            await using var insert = new NpgsqlBatch(connection, transaction);
            insert.BatchCommands.Add(OutboxWriter.InsertCommand(eventFor(changed)));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return MessageChange.Changed(changed);
    }

    private async Task<List<ChatMessage>> QueryAsync(string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        var items = new List<ChatMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadMessage(reader));
        }

        return items;
    }

    internal static NpgsqlBatchCommand Command(string sql, params object[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private static ChatMessage ReadMessage(NpgsqlDataReader reader)
    {
        var deleted = !reader.IsDBNull(8);
        return new ChatMessage(
            reader.GetGuid(0),
            reader.GetGuid(1),
            reader.GetInt64(2),
            reader.GetGuid(3),
            reader.GetString(4),
            reader.IsDBNull(5) ? null : DeserializeContent(reader.GetString(5)),
            reader.GetFieldValue<DateTimeOffset>(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
            deleted ? true : null,
            reader.IsDBNull(9) ? null : reader.GetGuid(9),
            reader.IsDBNull(10) ? null : ReactionSummary.From(JsonSerializer.Deserialize(reader.GetString(10), ChatJsonContext.Default.ListReactionEntry)));
    }

    internal static string SerializeContent(MessageContent content) => JsonSerializer.Serialize(content, ChatJsonContext.Default.MessageContent);

    private static MessageContent? DeserializeContent(string json) => JsonSerializer.Deserialize(json, ChatJsonContext.Default.MessageContent);
}
