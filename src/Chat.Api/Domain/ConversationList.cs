using Chat.Api.Data;
using Chat.Api.Realtime;
using Npgsql;

namespace Chat.Api.Domain;

/// <summary>An entry of <c>GET /chat</c>: the conversation, its last message and how many the user has not read.</summary>
public sealed record ConversationListItem(
    Guid ConversationId,
    string Type,
    string? Title,
    IReadOnlyList<Guid> MemberIds,
    DateTimeOffset CreatedAt,
    long LastSeq,
    DateTimeOffset LastActivityAt,
    ChatMessage? LastMessage,
    long UnreadCount,
    long LastReadSeq);

public sealed record ConversationPage(
    IReadOnlyList<ConversationListItem> Items,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>
/// The user's conversations by last activity, newest first, keyset-paged on (last activity, id).
/// Unread counts are the messages after the user's read position (sending reads up to one's own message).
/// </summary>
internal sealed class ConversationList(NpgsqlDataSource dataSource, IMessageStore store)
{
    public async Task<ConversationPage> GetAsync(Guid me, ListCursor? cursor, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT c.id, c.type, c.title, c.created_at, c.last_seq, c.last_activity_at, m.last_read_seq, " +
            "ARRAY(SELECT x.user_id FROM conversation_members x WHERE x.conversation_id = c.id ORDER BY x.joined_at, x.user_id) " +
            "FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id " +
            "WHERE m.user_id = $1 AND (c.last_activity_at, c.id) < ($2, $3) " +
            "ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $4");
        command.Parameters.Add(new NpgsqlParameter { Value = me });
        command.Parameters.Add(new NpgsqlParameter { Value = cursor?.LastActivityAt ?? DateTimeOffset.MaxValue });
        command.Parameters.Add(new NpgsqlParameter { Value = cursor?.ConversationId ?? new Guid("ffffffff-ffff-ffff-ffff-ffffffffffff") });
        command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });

        var rows = new List<ConversationListItem>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var lastSeq = reader.GetInt64(4);
                var lastRead = reader.GetInt64(6);
                rows.Add(new ConversationListItem(
                    reader.GetGuid(0),
                    reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetFieldValue<Guid[]>(7),
                    reader.GetFieldValue<DateTimeOffset>(3),
                    lastSeq,
                    reader.GetFieldValue<DateTimeOffset>(5),
                    null,
                    Math.Max(0, lastSeq - lastRead),
                    lastRead));
            }
        }

        var hasMore = rows.Count > limit;
        if (hasMore)
        {
            rows.RemoveAt(limit);
        }

        var last = await store.GetBySeqAsync([.. rows.Where(r => r.LastSeq > 0).Select(r => (r.ConversationId, r.LastSeq))], cancellationToken);
        var lastByConversation = last.ToDictionary(m => m.ConversationId);
        var items = rows.Select(r => r with { LastMessage = lastByConversation.GetValueOrDefault(r.ConversationId) }).ToList();
        var next = hasMore ? new ListCursor(items[^1].LastActivityAt, items[^1].ConversationId).ToString() : null;
        return new ConversationPage(items, next);
    }
}

/// <summary>The position after a conversation in the list: its last activity (microseconds) and id.</summary>
public sealed record ListCursor(DateTimeOffset LastActivityAt, Guid ConversationId)
{
    public override string ToString() =>
        ((LastActivityAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10).ToString() + "_" + ConversationId.ToString("N");

    public static bool TryParse(string? value, out ListCursor? cursor)
    {
        cursor = null;
        var parts = value?.Split('_');
        if (parts is not [var micros, var id] || !long.TryParse(micros, out var us) || us < 0 || us > 253_402_300_799_000_000 || !Guid.TryParseExact(id, "N", out var conversationId))
        {
            return false;
        }

        cursor = new ListCursor(DateTimeOffset.UnixEpoch.AddTicks(us * 10), conversationId);
        return true;
    }
}
