using System.Text.Json;
using Messenger.Contracts.Chat;
using Messenger.Contracts.Friendships;
using Messenger.ServiceDefaults.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Notification.Api.Data;

namespace Notification.Api.Domain;

/// <summary>A notification that changed in a committed transaction, to deliver live (and by Web Push when queued).</summary>
public sealed record NotificationChange(Guid UserId, long Seq, NotificationRow Row);

/// <summary>
/// Every change to notifications goes through here, inside the caller's transaction. Each change takes
/// the next number of the user's change sequence (<c>user_streams</c>), whose row lock also puts one
/// user's changes in commit order, so a stream resuming after number n misses nothing. Users are
/// locked in id order, so two transactions touching the same users cannot deadlock.
/// </summary>
public sealed class NotificationWriter(NotificationDbContext db, TimeProvider time)
{
    /// <summary>Grouped previews are cut to this many characters.</summary>
    public const int PreviewMaxLength = 200;

    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// One message counted in one recipient's unread group of its conversation (or starting one), its
    /// Web Push queued. Parameters: $1 user, $2 new id, $3 kind, $4 subject, $5 data, $6 sender,
    /// $7 preview, $8 seq, $9 now, $10 message id, $11 sent at. Takes the user's next change number,
    /// whose row lock orders the user's changes.
    /// </summary>
    private const string CountMessageSql = """
        WITH next AS (
            INSERT INTO user_streams (user_id, last_seq) VALUES ($1, 1)
            ON CONFLICT (user_id) DO UPDATE SET last_seq = user_streams.last_seq + 1
            RETURNING last_seq),
        upserted AS (
            INSERT INTO notifications AS n (id, user_id, kind, subject, data, count, senders, last_preview, first_seq, last_seq, created_at, updated_at, stream_seq)
            VALUES ($2, $1, $3, $4, CAST($5 AS jsonb), 1, ARRAY[$6], $7, $8, $8, $9, $9, (SELECT last_seq FROM next))
            ON CONFLICT (user_id, subject) WHERE read_at IS NULL AND withdrawn_at IS NULL DO UPDATE SET
                count = n.count + 1,
                senders = CASE
                    WHEN EXCLUDED.last_seq >= n.last_seq THEN array_prepend(EXCLUDED.senders[1], array_remove(n.senders, EXCLUDED.senders[1]))
                    WHEN EXCLUDED.senders[1] = ANY(n.senders) THEN n.senders
                    ELSE array_append(n.senders, EXCLUDED.senders[1]) END,
                last_preview = CASE WHEN EXCLUDED.last_seq >= n.last_seq THEN EXCLUDED.last_preview ELSE n.last_preview END,
                first_seq = LEAST(n.first_seq, EXCLUDED.first_seq),
                last_seq = GREATEST(n.last_seq, EXCLUDED.last_seq),
                data = EXCLUDED.data,
                updated_at = GREATEST(n.updated_at, EXCLUDED.updated_at),
                stream_seq = EXCLUDED.stream_seq
            RETURNING n.id),
        counted AS (
            INSERT INTO notification_messages (notification_id, message_id, seq, sender_username, preview, sent_at)
            SELECT id, $10, $8, $6, $7, $11 FROM upserted),
        queued AS (
            INSERT INTO push_deliveries (subscription_id, notification_id, attempts, version, next_attempt_at)
            SELECT s.id, upserted.id, 0, 0, $9 FROM push_subscriptions AS s CROSS JOIN upserted WHERE s.user_id = $1
            ON CONFLICT (subscription_id, notification_id) DO UPDATE SET version = push_deliveries.version + 1)
        SELECT id FROM upserted
        """;

    /// <summary>
    /// Counts each message in its recipients' unread groups (or starts one), except for muted
    /// recipients, in one round trip for all of them, and
    /// returns each changed group once, in its final state. The statements run ordered by user (a
    /// user's in message order), so users are locked in id order and transactions cannot deadlock.
    /// </summary>
    public async Task<IReadOnlyList<NotificationChange>> AddMessagesAsync(
        IReadOnlyList<(MessageSent Message, IReadOnlyCollection<Guid> Recipients)> messages, CancellationToken cancellationToken)
    {
        var conversations = messages.Select(m => m.Message.ConversationId).Distinct().ToList();
        var users = messages.SelectMany(m => m.Recipients).Distinct().ToList();
        if (users.Count == 0)
        {
            return [];
        }

        var muted = (await db.MutedConversations
                .Where(m => conversations.Contains(m.ConversationId) && users.Contains(m.UserId))
                .Select(m => new { m.UserId, m.ConversationId })
                .ToListAsync(cancellationToken))
            .Select(m => (m.UserId, m.ConversationId))
            .ToHashSet();
        var counts = messages
            .SelectMany((m, order) => m.Recipients.Distinct().Select(userId => (UserId: userId, Order: order, m.Message)))
            .Where(c => !muted.Contains((c.UserId, c.Message.ConversationId)))
            .OrderBy(c => c.UserId)
            .ThenBy(c => c.Order)
            .ToList();
        if (counts.Count == 0)
        {
            return [];
        }

        var now = time.GetUtcNowInMicroseconds();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var batch = new NpgsqlBatch(connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        foreach (var (userId, _, message) in counts)
        {
            var data = JsonSerializer.Serialize(
                new { conversationId = message.ConversationId, conversationType = message.ConversationType, title = message.ConversationTitle },
                DataJson);
            var preview = Shorten(message.Preview);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(CountMessageSql)
            {
                Parameters =
                {
                    new() { Value = userId },
                    new() { Value = Guid.CreateVersion7(now) },
                    new() { Value = NotificationKinds.Messages },
                    new() { Value = NotificationKinds.ConversationSubject(message.ConversationId) },
                    new() { Value = data },
                    new() { Value = message.SenderUsername },
                    new() { Value = preview },
                    new() { Value = message.Seq },
                    new() { Value = now },
                    new() { Value = message.MessageId },
                    new() { Value = message.SentAt },
                },
            });
        }

        var changed = new HashSet<Guid>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    changed.Add(reader.GetGuid(0));
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        var rows = await db.Notifications.AsNoTracking().Where(n => changed.Contains(n.Id)).ToListAsync(cancellationToken);
        return [.. rows.OrderBy(r => r.UserId).ThenBy(r => r.StreamSeq).Select(r => new NotificationChange(r.UserId, r.StreamSeq, r))];
    }

    /// <summary>Takes a deleted message out of the unread groups that count it; a group left empty is withdrawn.</summary>
    public Task<IReadOnlyList<NotificationChange>> RemoveMessageAsync(MessageDeleted deleted, CancellationToken cancellationToken) =>
        RegroupAsync(deleted.MessageId, (group, messages) =>
        {
            db.GroupedMessages.RemoveRange(messages.Where(m => m.MessageId == deleted.MessageId));
            var left = messages.Where(m => m.MessageId != deleted.MessageId).ToList();
            if (left.Count == 0)
            {
                group.WithdrawnAt = time.GetUtcNowInMicroseconds();
            }
            else
            {
                Summarize(group, left);
            }
        }, cancellationToken);

    /// <summary>Keeps the preview of an edited message current in the unread groups that count it.</summary>
    public Task<IReadOnlyList<NotificationChange>> EditMessageAsync(MessageEdited edited, CancellationToken cancellationToken) =>
        RegroupAsync(edited.MessageId, (group, messages) =>
        {
            foreach (var message in messages.Where(m => m.MessageId == edited.MessageId))
            {
                message.Preview = Shorten(edited.Preview);
            }

            Summarize(group, messages);
        }, cancellationToken);

    /// <summary>
    /// The user read the conversation up to <see cref="MessagesRead.Seq"/>: a group read to its end is
    /// marked read; a group read part of the way keeps only the messages after the read position.
    /// </summary>
    public async Task<IReadOnlyList<NotificationChange>> ReadConversationAsync(MessagesRead read, CancellationToken cancellationToken)
    {
        var subject = NotificationKinds.ConversationSubject(read.ConversationId);
        if (!await db.Notifications.AnyAsync(n => n.UserId == read.UserId && n.Subject == subject && n.ReadAt == null && n.WithdrawnAt == null, cancellationToken))
        {
            return [];
        }

        var seq = await NextSeqAsync(read.UserId, cancellationToken);
        var group = await db.Notifications.SingleAsync(n => n.UserId == read.UserId && n.Subject == subject && n.ReadAt == null && n.WithdrawnAt == null, cancellationToken);
        if (read.Seq >= group.LastSeq)
        {
            group.ReadAt = time.GetUtcNowInMicroseconds();
        }
        else
        {
            var messages = await MessagesOfAsync(group.Id, cancellationToken);
            var seen = messages.Where(m => m.Seq <= read.Seq).ToList();
            if (seen.Count == 0)
            {
                return [];
            }

            db.GroupedMessages.RemoveRange(seen);
            Summarize(group, [.. messages.Except(seen)]);
        }

        group.StreamSeq = seq;
        await db.SaveChangesAsync(cancellationToken);
        return [new NotificationChange(group.UserId, seq, group)];
    }

    /// <summary>Tells the addressee about a friend request.</summary>
    public Task<IReadOnlyList<NotificationChange>> AddFriendRequestAsync(FriendRequestSent sent, CancellationToken cancellationToken) =>
        AddSingleAsync(
            sent.ToUserId,
            NotificationKinds.FriendRequest,
            NotificationKinds.FriendRequestSubject(sent.RequestId),
            new { requestId = sent.RequestId, fromUserId = sent.FromUserId, fromUsername = sent.FromUsername },
            cancellationToken);

    /// <summary>Tells the sender their request was accepted; the addressee answered, so their own notification of it is read.</summary>
    public async Task<IReadOnlyList<NotificationChange>> AddFriendAcceptedAsync(FriendRequestAccepted accepted, CancellationToken cancellationToken)
    {
        var answered = await EndFriendRequestAsync(accepted.RequestId, accepted.ToUserId, withdraw: false, cancellationToken);
        var added = await AddSingleAsync(
            accepted.FromUserId,
            NotificationKinds.FriendAccepted,
            NotificationKinds.FriendAcceptedSubject(accepted.RequestId),
            new { requestId = accepted.RequestId, friendId = accepted.ToUserId, friendUsername = accepted.ToUsername },
            cancellationToken);
        return [.. answered, .. added];
    }

    /// <summary>
    /// A request ended without acceptance: answered (rejected) marks the addressee's notification read;
    /// withdrawn by the sender or ended by a block takes it back.
    /// </summary>
    public Task<IReadOnlyList<NotificationChange>> EndFriendRequestAsync(Guid requestId, Guid addresseeId, bool withdraw, CancellationToken cancellationToken) =>
        ChangeUnreadAsync(addresseeId, NotificationKinds.FriendRequestSubject(requestId), (row, now) =>
        {
            if (withdraw)
            {
                row.WithdrawnAt = now;
            }
            else
            {
                row.ReadAt = now;
            }
        }, cancellationToken);

    /// <summary>
    /// Marks one notification of the user read. Returns null when the user has no such notification, and
    /// a null change when it was read already.
    /// </summary>
    public async Task<(NotificationRow Row, NotificationChange? Change)?> MarkReadAsync(Guid userId, Guid notificationId, CancellationToken cancellationToken)
    {
        var row = await db.Notifications.SingleOrDefaultAsync(n => n.Id == notificationId && n.UserId == userId && n.WithdrawnAt == null, cancellationToken);
        if (row is null || row.ReadAt is not null)
        {
            return row is null ? null : (row, null);
        }

        var seq = await NextSeqAsync(userId, cancellationToken);
        await db.Entry(row).ReloadAsync(cancellationToken);
        if (row.WithdrawnAt is not null)
        {
            return null;
        }

        if (row.ReadAt is not null)
        {
            // Read by another request while this one waited for the user's lock.
            return (row, null);
        }

        row.ReadAt = time.GetUtcNowInMicroseconds();
        row.StreamSeq = seq;
        await db.SaveChangesAsync(cancellationToken);
        return (row, new NotificationChange(userId, seq, row));
    }

    /// <summary>Marks every unread notification of the user read, each with its own change number.</summary>
    public async Task<IReadOnlyList<NotificationChange>> MarkAllReadAsync(Guid userId, CancellationToken cancellationToken)
    {
        await NextSeqAsync(userId, cancellationToken);
        var unread = await db.Notifications
            .Where(n => n.UserId == userId && n.ReadAt == null && n.WithdrawnAt == null)
            .OrderBy(n => n.UpdatedAt)
            .ToListAsync(cancellationToken);
        if (unread.Count == 0)
        {
            return [];
        }

        var last = await db.UserStreams.Where(s => s.UserId == userId).Select(s => s.LastSeq).SingleAsync(cancellationToken);
        var now = time.GetUtcNowInMicroseconds();
        var changes = new List<NotificationChange>(unread.Count);
        foreach (var row in unread)
        {
            row.ReadAt = now;
            row.StreamSeq = last++;
            changes.Add(new NotificationChange(userId, row.StreamSeq, row));
        }

        // The first number was taken above; the others follow it.
        await db.UserStreams.Where(s => s.UserId == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.LastSeq, last - 1), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return changes;
    }

    private async Task<IReadOnlyList<NotificationChange>> AddSingleAsync(Guid userId, string kind, string subject, object data, CancellationToken cancellationToken)
    {
        var seq = await NextSeqAsync(userId, cancellationToken);
        var now = time.GetUtcNowInMicroseconds();
        var id = Guid.CreateVersion7(now);
        var json = JsonSerializer.Serialize(data, DataJson);
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO notifications (id, user_id, kind, subject, data, count, created_at, updated_at, stream_seq)
            VALUES ({id}, {userId}, {kind}, {subject}, CAST({json} AS jsonb), 1, {now}, {now}, {seq})
            ON CONFLICT (user_id, subject) WHERE read_at IS NULL AND withdrawn_at IS NULL DO NOTHING
            """, cancellationToken);
        if (inserted == 0)
        {
            return [];
        }

        await QueuePushAsync(userId, id, now, cancellationToken);
        return await LoadAsync([(userId, seq, id)], cancellationToken);
    }

    private async Task<IReadOnlyList<NotificationChange>> ChangeUnreadAsync(
        Guid userId, string subject, Action<NotificationRow, DateTimeOffset> change, CancellationToken cancellationToken)
    {
        if (!await db.Notifications.AnyAsync(n => n.UserId == userId && n.Subject == subject && n.ReadAt == null && n.WithdrawnAt == null, cancellationToken))
        {
            return [];
        }

        var seq = await NextSeqAsync(userId, cancellationToken);
        var row = await db.Notifications.SingleOrDefaultAsync(n => n.UserId == userId && n.Subject == subject && n.ReadAt == null && n.WithdrawnAt == null, cancellationToken);
        if (row is null)
        {
            return [];
        }

        change(row, time.GetUtcNowInMicroseconds());
        row.StreamSeq = seq;
        await db.SaveChangesAsync(cancellationToken);
        return [new NotificationChange(userId, seq, row)];
    }

    /// <summary>Applies <paramref name="change"/> to each unread group counting a message, with its messages, as one change each.</summary>
    private async Task<IReadOnlyList<NotificationChange>> RegroupAsync(
        Guid messageId, Action<NotificationRow, List<GroupedMessage>> change, CancellationToken cancellationToken)
    {
        var changes = new List<NotificationChange>();
        foreach (var group in await UnreadGroupsCountingAsync(messageId, cancellationToken))
        {
            var seq = await NextSeqAsync(group.UserId, cancellationToken);
            change(group, await MessagesOfAsync(group.Id, cancellationToken));
            group.StreamSeq = seq;
            changes.Add(new NotificationChange(group.UserId, seq, group));
        }

        await db.SaveChangesAsync(cancellationToken);
        return changes;
    }

    /// <summary>The unread groups counting a message, their users locked in id order.</summary>
    private async Task<List<NotificationRow>> UnreadGroupsCountingAsync(Guid messageId, CancellationToken cancellationToken)
    {
        var ids = await db.GroupedMessages.Where(m => m.MessageId == messageId).Select(m => m.NotificationId).ToListAsync(cancellationToken);
        if (ids.Count == 0)
        {
            return [];
        }

        var users = await db.Notifications.Where(n => ids.Contains(n.Id)).Select(n => n.UserId).Distinct().ToListAsync(cancellationToken);
        foreach (var userId in users.Order())
        {
            await LockUserAsync(userId, cancellationToken);
        }

        return await db.Notifications
            .Where(n => ids.Contains(n.Id) && n.ReadAt == null && n.WithdrawnAt == null)
            .OrderBy(n => n.UserId)
            .ToListAsync(cancellationToken);
    }

    private Task<List<GroupedMessage>> MessagesOfAsync(Guid notificationId, CancellationToken cancellationToken) =>
        db.GroupedMessages.Where(m => m.NotificationId == notificationId).ToListAsync(cancellationToken);

    /// <summary>Recomputes a group's count, senders, preview and range from the messages it still counts.</summary>
    private static void Summarize(NotificationRow group, IReadOnlyCollection<GroupedMessage> messages)
    {
        var newestFirst = messages.OrderByDescending(m => m.Seq).ToList();
        group.Count = newestFirst.Count;
        group.Senders = [.. newestFirst.Select(m => m.SenderUsername).Distinct(StringComparer.Ordinal)];
        group.LastPreview = newestFirst[0].Preview;
        group.FirstSeq = newestFirst[^1].Seq;
        group.LastSeq = newestFirst[0].Seq;
    }

    /// <summary>Takes the user's next change number; holds the user's row lock until the transaction ends.</summary>
    private async Task<long> NextSeqAsync(Guid userId, CancellationToken cancellationToken) =>
        (await db.Database.SqlQuery<long>($"""
            INSERT INTO user_streams (user_id, last_seq) VALUES ({userId}, 1)
            ON CONFLICT (user_id) DO UPDATE SET last_seq = user_streams.last_seq + 1
            RETURNING last_seq AS "Value"
            """).ToListAsync(cancellationToken)).Single();

    private Task<int> LockUserAsync(Guid userId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO user_streams (user_id, last_seq) VALUES ({userId}, 0)
            ON CONFLICT (user_id) DO UPDATE SET last_seq = user_streams.last_seq
            """, cancellationToken);

    /// <summary>
    /// Queues a Web Push of the notification to each of the user's subscriptions. A push still queued for
    /// the same notification is kept (with its back-off) and will carry the latest state.
    /// </summary>
    private Task<int> QueuePushAsync(Guid userId, Guid notificationId, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO push_deliveries (subscription_id, notification_id, attempts, version, next_attempt_at)
            SELECT id, {notificationId}, 0, 0, {now} FROM push_subscriptions WHERE user_id = {userId}
            ON CONFLICT (subscription_id, notification_id) DO UPDATE SET version = push_deliveries.version + 1
            """, cancellationToken);

    private async Task<IReadOnlyList<NotificationChange>> LoadAsync(List<(Guid UserId, long Seq, Guid Id)> changed, CancellationToken cancellationToken)
    {
        if (changed.Count == 0)
        {
            return [];
        }

        var ids = changed.Select(c => c.Id).ToList();
        var rows = await db.Notifications.AsNoTracking().Where(n => ids.Contains(n.Id)).ToDictionaryAsync(n => n.Id, cancellationToken);
        return [.. changed.Select(c => new NotificationChange(c.UserId, c.Seq, rows[c.Id]))];
    }

    private static string Shorten(string preview) =>
        preview.Length <= PreviewMaxLength ? preview : preview[..(PreviewMaxLength - 1)] + "…";
}
