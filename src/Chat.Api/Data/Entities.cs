using NpgsqlTypes;

namespace Chat.Api.Data;

/// <summary>A conversation row. <see cref="LastSeq"/> is the seq counter the writer advances under the row lock.</summary>
public sealed class ConversationRow
{
    public Guid Id { get; set; }

    public required string Type { get; set; }

    public string? Title { get; set; }

    /// <summary>For a direct conversation the two member ids in order, so one pair has one conversation.</summary>
    public string? DirectKey { get; set; }

    public Guid CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public long LastSeq { get; set; }

    public DateTimeOffset LastActivityAt { get; set; }

    public List<MemberRow> Members { get; } = [];
}

public sealed class MemberRow
{
    public Guid ConversationId { get; set; }

    public Guid UserId { get; set; }

    public required string Role { get; set; }

    public DateTimeOffset JoinedAt { get; set; }

    /// <summary>The highest seq this member has read; sending a message reads everything up to it.</summary>
    public long LastReadSeq { get; set; }
}

/// <summary>A user Chat knows from <c>UserRegistered</c> events.</summary>
public sealed class UserRow
{
    public Guid Id { get; set; }

    public required string Username { get; set; }

    public string? DisplayName { get; set; }
}

/// <summary>The latest block state of a pair, from <c>UserBlocked</c>/<c>UserUnblocked</c>; older events do not overwrite newer ones.</summary>
public sealed class BlockRow
{
    public Guid BlockerId { get; set; }

    public Guid BlockedId { get; set; }

    public bool IsBlocked { get; set; }

    public DateTimeOffset ChangedAt { get; set; }
}

/// <summary>The PostgreSQL message store's row (written with raw Npgsql; mapped here for the schema).</summary>
public sealed class MessageRow
{
    public Guid Id { get; set; }

    public Guid ConversationId { get; set; }

    public long Seq { get; set; }

    public Guid SenderId { get; set; }

    public required string ClientMessageId { get; set; }

    /// <summary>The content document (JSONB); null once deleted.</summary>
    public string? Content { get; set; }

    public DateTimeOffset SentAt { get; set; }

    public DateTimeOffset? EditedAt { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }

    public Guid? ReplyTo { get; set; }

    /// <summary>JSONB array of <c>{emoji, userId}</c>.</summary>
    public string? Reactions { get; set; }

    public NpgsqlTsVector? Search { get; set; }
}

/// <summary>An uploaded file (docs/decisions/0060): its bytes live in the blob store under <see cref="BlobKey"/>.</summary>
public sealed class AttachmentRow
{
    public Guid Id { get; set; }

    public Guid UploaderId { get; set; }

    public required string Name { get; set; }

    /// <summary><c>image</c> when it was decoded and re-encoded (it may be sent as an image), else <c>file</c>.</summary>
    public required string Kind { get; set; }

    /// <summary>The type sniffed from the bytes, never the client's word.</summary>
    public required string MimeType { get; set; }

    public long Size { get; set; }

    /// <summary>SHA-256 of the stored bytes, hex: the download's ETag.</summary>
    public required string Sha256 { get; set; }

    public int? Width { get; set; }

    public int? Height { get; set; }

    public required string BlobKey { get; set; }

    public string? ThumbnailKey { get; set; }

    public string? ThumbnailMimeType { get; set; }

    public long? ThumbnailSize { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When a message first carried it; null while it is an orphan.</summary>
    public DateTimeOffset? FirstPostedAt { get; set; }
}

/// <summary>
/// A live message that carries an attachment: who may download it (the conversation's members)
/// and how long its blob must stay. Deleting the message deletes the row.
/// </summary>
public sealed class AttachmentPostRow
{
    public Guid AttachmentId { get; set; }

    public Guid MessageId { get; set; }

    public Guid ConversationId { get; set; }
}
