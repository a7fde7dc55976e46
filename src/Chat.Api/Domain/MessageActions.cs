using Chat.Api.Data;
using Chat.Api.Events;
using Chat.Api.Realtime;
using Messenger.EventBus.Outbox;
using Npgsql;

namespace Chat.Api.Domain;

/// <summary>
/// What a participant does to existing messages — edit, delete, react, mark read — for the
/// socket and the HTTP API alike: check membership, change the store, tell the participants.
/// </summary>
internal sealed class MessageActions(
    IMessageStore store,
    ConversationDirectory directory,
    NpgsqlDataSource dataSource,
    FanOut fanOut,
    OutboxSignal outboxSignal,
    TimeProvider time)
{
    public async Task<MessageChange> EditAsync(Guid userId, Guid conversationId, Guid messageId, MessageContent content, CancellationToken cancellationToken)
    {
        if (await directory.GetAsync(conversationId, cancellationToken) is not { } conversation || !conversation.IsMember(userId))
        {
            return MessageChange.NotFound;
        }

        var change = await store.EditAsync(conversationId, messageId, userId, content, time.GetUtcNow(), cancellationToken);
        Announce(conversation, change, withEvent: true);
        return change;
    }

    public async Task<MessageChange> DeleteAsync(Guid userId, Guid conversationId, Guid messageId, CancellationToken cancellationToken)
    {
        if (await directory.GetAsync(conversationId, cancellationToken) is not { } conversation || !conversation.IsMember(userId))
        {
            return MessageChange.NotFound;
        }

        var change = await store.DeleteAsync(conversationId, messageId, userId, time.GetUtcNow(), cancellationToken);
        Announce(conversation, change, withEvent: true);
        return change;
    }

    public async Task<MessageChange> SetReactionAsync(Guid userId, Guid conversationId, Guid messageId, string emoji, bool present, CancellationToken cancellationToken)
    {
        if (await directory.GetAsync(conversationId, cancellationToken) is not { } conversation || !conversation.IsMember(userId))
        {
            return MessageChange.NotFound;
        }

        var change = await store.SetReactionAsync(conversationId, messageId, userId, emoji, present, cancellationToken);
        Announce(conversation, change, withEvent: false);
        return change;
    }

    /// <summary>
    /// Moves the user's read position forward to <paramref name="seq"/> (at most the conversation's last
    /// seq) and publishes <c>MessagesRead</c>. Returns the new position, the old one when it was already
    /// there, or null when the user is not a member.
    /// </summary>
    public async Task<long?> MarkReadAsync(Guid userId, Guid conversationId, long seq, Guid exceptConnection, CancellationToken cancellationToken)
    {
        if (await directory.GetAsync(conversationId, cancellationToken) is not { } conversation || !conversation.IsMember(userId))
        {
            return null;
        }

        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long position;
        bool advanced;
        await using (var command = new NpgsqlCommand(
            "WITH old AS (SELECT last_read_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2 FOR UPDATE) " +
            "UPDATE conversation_members m SET last_read_seq = GREATEST(m.last_read_seq, LEAST($3, c.last_seq)) FROM conversations c " +
            "WHERE m.conversation_id = $1 AND m.user_id = $2 AND c.id = m.conversation_id " +
            "RETURNING m.last_read_seq, (SELECT last_read_seq FROM old)",
            connection,
            transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = conversationId });
            command.Parameters.Add(new NpgsqlParameter { Value = userId });
            command.Parameters.Add(new NpgsqlParameter { Value = seq });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            position = reader.GetInt64(0);
            advanced = position > reader.GetInt64(1);
        }

        if (!advanced)
        {
            await transaction.RollbackAsync(cancellationToken);
            return position;
        }

        await using (var insert = new NpgsqlBatch(connection, transaction))
        {
            insert.BatchCommands.Add(OutboxWriter.InsertCommand(ChatEventRows.Read(conversationId, userId, position, now)));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        outboxSignal.Notify();
        fanOut.Deliver(new Delivery(FrameWriter.Read(conversationId, userId, position), conversation.MemberIds, exceptConnection));
        return position;
    }

    private void Announce(ConversationSnapshot conversation, MessageChange change, bool withEvent)
    {
        if (change.Status != MessageChangeStatus.Changed)
        {
            return;
        }

        if (withEvent)
        {
            outboxSignal.Notify();
        }

        // The actor's own socket gets it too: it is the confirmation of the change.
        fanOut.Deliver(new Delivery(FrameWriter.Updated(change.Message!), conversation.MemberIds));
    }
}
