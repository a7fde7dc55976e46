using Chat.Api.Domain;
using Npgsql;

namespace Chat.Api.Data;

/// <summary>
/// The attachments' records and which live messages carry them (tables <c>attachments</c> and
/// <c>attachment_posts</c> in Chat's PostgreSQL database, in both profiles). The posts are what
/// lets a conversation's members download an attachment, and what keeps its blob alive.
/// </summary>
public sealed class AttachmentStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "a.id, a.uploader_id, a.name, a.kind, a.mime_type, a.size, a.sha256, a.width, a.height, a.blob_key, a.thumbnail_key, " +
        "a.thumbnail_mime_type, a.thumbnail_size, a.created_at, a.first_posted_at";

    // The uploader, or a member of a conversation where a live message carries it.
    private const string MayRead =
        "(a.uploader_id = $2 OR EXISTS (SELECT 1 FROM attachment_posts p JOIN conversation_members m " +
        "ON m.conversation_id = p.conversation_id AND m.user_id = $2 WHERE p.attachment_id = a.id))";

    public async Task InsertAsync(AttachmentRow row, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO attachments (id, uploader_id, name, kind, mime_type, size, sha256, width, height, blob_key, thumbnail_key, " +
            "thumbnail_mime_type, thumbnail_size, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)");
        foreach (var value in new object?[]
        {
            row.Id, row.UploaderId, row.Name, row.Kind, row.MimeType, row.Size, row.Sha256, row.Width, row.Height, row.BlobKey,
            row.ThumbnailKey, row.ThumbnailMimeType, row.ThumbnailSize, row.CreatedAt,
        })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The attachment when <paramref name="userId"/> may download it; null otherwise (or when there is none).</summary>
    public async Task<AttachmentRow?> GetReadableAsync(Guid attachmentId, Guid userId, CancellationToken cancellationToken) =>
        (await QueryAsync("SELECT " + Columns + " FROM attachments a WHERE a.id = $1 AND " + MayRead, cancellationToken, attachmentId, userId))
        .SingleOrDefault();

    /// <summary>Those of the attachments that <paramref name="userId"/> may download.</summary>
    public async Task<List<AttachmentRow>> GetReadableAsync(Guid[] attachmentIds, Guid userId, CancellationToken cancellationToken) =>
        await QueryAsync("SELECT " + Columns + " FROM attachments a WHERE a.id = ANY($1) AND " + MayRead, cancellationToken, attachmentIds, userId);

    /// <summary>The attachment and whether a live message carries it now.</summary>
    public async Task<(AttachmentRow Attachment, bool Posted)?> GetWithPostsAsync(Guid attachmentId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT " + Columns + ", EXISTS (SELECT 1 FROM attachment_posts p WHERE p.attachment_id = a.id) FROM attachments a WHERE a.id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = attachmentId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (Read(reader), reader.GetBoolean(15)) : null;
    }

    /// <summary>Forgets which attachment a deleted message carried, so its blob can go once nothing else carries it.</summary>
    public async Task RemovePostsOfAsync(Guid messageId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM attachment_posts WHERE message_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = messageId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The statements that record which of <paramref name="messages"/> carry an attachment, for the
    /// message stores to run in the batch that stores them (no round trip of its own); none when no message carries one.
    /// </summary>
    public static IEnumerable<NpgsqlBatchCommand> RecordPosts(IEnumerable<ChatMessage> messages)
    {
        var posts = new List<(Guid Attachment, Guid Message, Guid Conversation, DateTimeOffset At)>();
        foreach (var message in messages)
        {
            if (message.Content?.AttachmentId is { } id && Guid.TryParse(id, out var attachmentId))
            {
                posts.Add((attachmentId, message.MessageId, message.ConversationId, message.SentAt));
            }
        }

        if (posts.Count == 0)
        {
            yield break;
        }

        yield return PostgresMessageStore.Command(
            "INSERT INTO attachment_posts (attachment_id, message_id, conversation_id) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) ON CONFLICT DO NOTHING",
            posts.Select(p => p.Attachment).ToArray(),
            posts.Select(p => p.Message).ToArray(),
            posts.Select(p => p.Conversation).ToArray());
        yield return PostgresMessageStore.Command(
            "UPDATE attachments SET first_posted_at = $2 WHERE id = ANY($1) AND first_posted_at IS NULL",
            posts.Select(p => p.Attachment).ToArray(),
            posts.Min(p => p.At));
    }

    /// <summary>
    /// Deletes up to <paramref name="limit"/> records of attachments uploaded before
    /// <paramref name="uploadedBefore"/> that no live message carries, and returns them (their blobs go next).
    /// </summary>
    public async Task<List<AttachmentRow>> DeleteUnusedAsync(DateTimeOffset uploadedBefore, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            "DELETE FROM attachments a WHERE a.id IN (SELECT x.id FROM attachments x WHERE x.created_at < $1 " +
            "AND NOT EXISTS (SELECT 1 FROM attachment_posts p WHERE p.attachment_id = x.id) ORDER BY x.created_at LIMIT $2) " +
            "AND NOT EXISTS (SELECT 1 FROM attachment_posts p WHERE p.attachment_id = a.id) RETURNING " + Columns,
            cancellationToken, uploadedBefore, limit);

    private async Task<List<AttachmentRow>> QueryAsync(string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        var rows = new List<AttachmentRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }

        return rows;
    }

    private static AttachmentRow Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetGuid(0),
        UploaderId = reader.GetGuid(1),
        Name = reader.GetString(2),
        Kind = reader.GetString(3),
        MimeType = reader.GetString(4),
        Size = reader.GetInt64(5),
        Sha256 = reader.GetString(6),
        Width = reader.IsDBNull(7) ? null : reader.GetInt32(7),
        Height = reader.IsDBNull(8) ? null : reader.GetInt32(8),
        BlobKey = reader.GetString(9),
        ThumbnailKey = reader.IsDBNull(10) ? null : reader.GetString(10),
        ThumbnailMimeType = reader.IsDBNull(11) ? null : reader.GetString(11),
        ThumbnailSize = reader.IsDBNull(12) ? null : reader.GetInt64(12),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(13),
        FirstPostedAt = reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14),
    };
}
