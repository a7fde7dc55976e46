using Chat.Api.Data;
using Chat.Api.Domain;
using Messenger.Contracts.Auth;
using Messenger.Contracts.Users;
using Messenger.EventBus.Consumers;
using Npgsql;

namespace Chat.Api.Events;

/// <summary>Keeps a local list of users, so Chat can check a user exists without calling another service. Idempotent by user id.</summary>
internal sealed class UserRegisteredHandler(NpgsqlDataSource dataSource) : IEventHandler<UserRegistered>
{
    public async Task HandleAsync(EventContext<UserRegistered> context, CancellationToken cancellationToken)
    {
        var user = context.Event;
        await using var command = dataSource.CreateCommand(
            "INSERT INTO users (id, username, display_name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = user.UserId });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Username });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)user.DisplayName ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// Marks a deleted account (docs/decisions/0070-account-deletion.md): its conversations and messages
/// stay for the other participants, written by <see cref="ChatUsers.DeletedUsername"/>; nobody can
/// start a conversation with it or add it to one, and its blocks are forgotten. Idempotent by user id,
/// and a late <c>UserRegistered</c> cannot bring the name back (it never overwrites a row).
/// </summary>
internal sealed class UserDeletedHandler(NpgsqlDataSource dataSource) : IEventHandler<UserDeleted>
{
    public async Task HandleAsync(EventContext<UserDeleted> context, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var mark = new NpgsqlBatchCommand(
            "INSERT INTO users (id, username, display_name) VALUES ($1, $2, NULL) " +
            "ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = NULL");
        mark.Parameters.Add(new NpgsqlParameter { Value = context.Event.UserId });
        mark.Parameters.Add(new NpgsqlParameter { Value = ChatUsers.DeletedUsername });
        var blocks = new NpgsqlBatchCommand("DELETE FROM user_blocks WHERE blocker_id = $1 OR blocked_id = $1");
        blocks.Parameters.Add(new NpgsqlParameter { Value = context.Event.UserId });
        batch.BatchCommands.Add(mark);
        batch.BatchCommands.Add(blocks);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// Records blocks and unblocks. The latest change per pair wins by its time, so a late redelivery of
/// an old event cannot undo a newer one. The pair's direct conversation is dropped from every
/// instance's cache so the block applies to the next message.
/// </summary>
internal sealed class UserBlockHandler(NpgsqlDataSource dataSource, ConversationDirectory directory)
    : IEventHandler<UserBlocked>, IEventHandler<UserUnblocked>
{
    public Task HandleAsync(EventContext<UserBlocked> context, CancellationToken cancellationToken) =>
        ApplyAsync(context.Event.BlockerId, context.Event.BlockedId, blocked: true, context.Event.BlockedAt, cancellationToken);

    public Task HandleAsync(EventContext<UserUnblocked> context, CancellationToken cancellationToken) =>
        ApplyAsync(context.Event.BlockerId, context.Event.BlockedId, blocked: false, context.Event.UnblockedAt, cancellationToken);

    private async Task ApplyAsync(Guid blockerId, Guid blockedId, bool blocked, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using (var command = dataSource.CreateCommand(
            "INSERT INTO user_blocks (blocker_id, blocked_id, is_blocked, changed_at) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT (blocker_id, blocked_id) DO UPDATE SET is_blocked = excluded.is_blocked, changed_at = excluded.changed_at " +
            "WHERE user_blocks.changed_at < excluded.changed_at"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = blockerId });
            command.Parameters.Add(new NpgsqlParameter { Value = blockedId });
            command.Parameters.Add(new NpgsqlParameter { Value = blocked });
            command.Parameters.Add(new NpgsqlParameter { Value = at });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var find = dataSource.CreateCommand("SELECT id FROM conversations WHERE direct_key = $1");
        find.Parameters.Add(new NpgsqlParameter { Value = ConversationService.DirectKey(blockerId, blockedId) });
        if (await find.ExecuteScalarAsync(cancellationToken) is Guid conversationId)
        {
            await directory.InvalidateAsync(conversationId);
        }
    }
}
