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
    AttachmentStore attachments,
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

        var change = await store.EditAsync(conversationId, messageId, userId, content, time.GetStorableNow(), cancellationToken);
        Announce(conversation, change, withEvent: true);
        return change;
    }

    public async Task<MessageChange> DeleteAsync(Guid userId, Guid conversationId, Guid messageId, CancellationToken cancellationToken)
    {
        if (await directory.GetAsync(conversationId, cancellationToken) is not { } conversation || !conversation.IsMember(userId))
        {
            return MessageChange.NotFound;
        }

        var change = await store.DeleteAsync(conversationId, messageId, userId, time.GetStorableNow(), cancellationToken);
        if (change.Status == MessageChangeStatus.Changed)
        {
            // What the message carried stays until no other message carries it (the sweeper's rule).
            await attachments.RemovePostsOfAsync(messageId, cancellationToken);
        }

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

        var now = time.GetStorableNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long? advancedTo;
        await using (var command = new NpgsqlCommand(
            "UPDATE conversation_members m SET last_read_seq = LEAST($3, c.last_seq) FROM conversations c " +
            "WHERE m.conversation_id = $1 AND m.user_id = $2 AND c.id = m.conversation_id AND m.last_read_seq < LEAST($3, c.last_seq) " +
            "RETURNING m.last_read_seq",
            connection,
            transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = conversationId });
            command.Parameters.Add(new NpgsqlParameter { Value = userId });
            command.Parameters.Add(new NpgsqlParameter { Value = seq });
            advancedTo = await command.ExecuteScalarAsync(cancellationToken) as long?;
        }

        if (advancedTo is not { } position)
        {
            // Already read that far (or the member left meanwhile): report where the position is.
            await transaction.RollbackAsync(cancellationToken);
            await using var current = dataSource.CreateCommand("SELECT last_read_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2");
            current.Parameters.Add(new NpgsqlParameter { Value = conversationId });
            current.Parameters.Add(new NpgsqlParameter { Value = userId });
            return await current.ExecuteScalarAsync(cancellationToken) as long?;
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
