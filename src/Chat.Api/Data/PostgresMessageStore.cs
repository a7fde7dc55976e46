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
/// look up clientMessageIds stored before, advance each conversation's <c>last_seq</c> by its new
/// messages, insert the messages and their <c>MessageSent</c> outbox rows, commit. Seqs are gap-free
/// because they are taken and used in the same transaction, under the row lock.
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
                // A write the lock did not cover raced this batch; the retry's lookup sees it.
            }
        }
    }

    private async Task<IReadOnlyList<AppendOutcome>> AppendOnceAsync(IReadOnlyList<NewMessage> messages, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var conversationIds = messages.Select(m => m.ConversationId).Distinct().Order().ToArray();
        var existingConversations = new HashSet<Guid>();
        var stored = new Dictionary<(Guid, Guid, string), ChatMessage>();
        var replyTargets = new Dictionary<Guid, Guid>();
        var replyIds = messages.Where(m => m.ReplyTo is not null).Select(m => m.ReplyTo!.Value).Distinct().ToArray();

        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            batch.BatchCommands.Add(Command("SELECT id FROM conversations WHERE id = ANY($1) ORDER BY id FOR UPDATE", conversationIds));
            batch.BatchCommands.Add(Command(
                // LATERAL keeps this an index lookup per key; a join could turn into a scan of the whole table.
                "SELECT " + Columns + " FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(c, s, cm) CROSS JOIN LATERAL " +
                "(SELECT * FROM messages x WHERE x.conversation_id = k.c AND x.sender_id = k.s AND x.client_message_id = k.cm) m",
                messages.Select(m => m.ConversationId).ToArray(),
                messages.Select(m => m.SenderId).ToArray(),
                messages.Select(m => m.ClientMessageId).ToArray()));
            if (replyIds.Length > 0)
            {
                batch.BatchCommands.Add(Command("SELECT id, conversation_id FROM messages WHERE id = ANY($1)", replyIds));
            }

            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                existingConversations.Add(reader.GetGuid(0));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var message = ReadMessage(reader);
                stored[(message.ConversationId, message.SenderId, message.ClientMessageId)] = message;
            }

            if (replyIds.Length > 0)
            {
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    replyTargets[reader.GetGuid(0)] = reader.GetGuid(1);
                }
            }
        }

        // Decide each message's fate; new ones are numbered after their conversation's last seq.
        var outcomes = new AppendOutcome?[messages.Count];
        var fresh = new List<int>(messages.Count);
        var firstOfKey = new Dictionary<(Guid, Guid, string), int>();
        var newPerConversation = new Dictionary<Guid, int>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var key = (message.ConversationId, message.SenderId, message.ClientMessageId);
            if (stored.TryGetValue(key, out var earlier))
            {
                outcomes[i] = AppendOutcome.Duplicate(earlier);
            }
            else if (firstOfKey.ContainsKey(key))
            {
                continue; // answered like the first one with this key, once it is numbered
            }
            else if (!existingConversations.Contains(message.ConversationId))
            {
                outcomes[i] = AppendOutcome.Refused(ErrorCodes.NotFound, "The conversation does not exist.");
            }
            else if (message.ReplyTo is { } replyTo && (!replyTargets.TryGetValue(replyTo, out var replyConversation) || replyConversation != message.ConversationId))
            {
                outcomes[i] = AppendOutcome.Refused(ErrorCodes.ReplyNotFound, "replyTo is not a message of this conversation.");
            }
            else
            {
                firstOfKey[key] = i;
                fresh.Add(i);
                newPerConversation[message.ConversationId] = newPerConversation.GetValueOrDefault(message.ConversationId) + 1;
            }
        }

        if (fresh.Count > 0)
        {
            var nextSeq = await AdvanceSeqsAsync(connection, transaction, newPerConversation, sentAt, cancellationToken);
            var rows = new List<(NewMessage Source, ChatMessage Message)>(fresh.Count);
            foreach (var i in fresh)
            {
                var source = messages[i];
                var seq = nextSeq[source.ConversationId]++;
                var message = new ChatMessage(source.MessageId, source.ConversationId, seq, source.SenderId, source.ClientMessageId,
                    source.Content, sentAt, ReplyTo: source.ReplyTo);
                rows.Add((source, message));
                outcomes[i] = AppendOutcome.Stored(message);
            }

            // The messages, their events and the senders' read positions go in one round trip.
            await using var write = new NpgsqlBatch(connection, transaction);
            write.BatchCommands.Add(Command(
                "INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, content, sent_at, reply_to) " +
                "SELECT id, c, seq, sender, cm, content::jsonb, $7, reply FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], $8::uuid[]) " +
                "AS v(id, c, seq, sender, cm, content, reply)",
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
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);

        for (var i = 0; i < messages.Count; i++)
        {
            outcomes[i] ??= AppendOutcome.Duplicate(outcomes[firstOfKey[(messages[i].ConversationId, messages[i].SenderId, messages[i].ClientMessageId)]]!.Message!);
        }

        return outcomes!;
    }

    private static async Task<Dictionary<Guid, long>> AdvanceSeqsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Dictionary<Guid, int> counts, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE conversations c SET last_seq = c.last_seq + v.n, last_activity_at = $3 " +
            "FROM unnest($1::uuid[], $2::int[]) AS v(id, n) WHERE c.id = v.id RETURNING c.id, c.last_seq",
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = counts.Keys.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = counts.Values.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = at });
        var next = new Dictionary<Guid, long>(counts.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            next[id] = reader.GetInt64(1) - counts[id] + 1;
        }

        return next;
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
            "UPDATE messages SET content = $4::jsonb, edited_at = $5 WHERE id = $1 AND conversation_id = $2 AND sender_id = $3 " +
            "AND deleted_at IS NULL AND content->>'kind' = $6 RETURNING " + Columns,
            [messageId, conversationId, userId, SerializeContent(content), editedAt, content.Kind],
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
