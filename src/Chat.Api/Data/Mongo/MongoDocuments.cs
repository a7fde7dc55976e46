using Chat.Api.Domain;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace Chat.Api.Data.Mongo;

/// <summary>A message in the <c>messages</c> collection. Ids are UUIDs in the standard binary representation (subtype 4).</summary>
internal sealed class MessageDocument
{
    [BsonId]
    [BsonGuidRepresentation(GuidRepresentation.Standard)]
    public Guid Id { get; set; }

    [BsonElement("conversationId")]
    [BsonGuidRepresentation(GuidRepresentation.Standard)]
    public Guid ConversationId { get; set; }

    [BsonElement("seq")]
    public long Seq { get; set; }

    [BsonElement("senderId")]
    [BsonGuidRepresentation(GuidRepresentation.Standard)]
    public Guid SenderId { get; set; }

    [BsonElement("clientMessageId")]
    public string ClientMessageId { get; set; } = "";

    [BsonElement("content")]
    [BsonIgnoreIfNull]
    public ContentDocument? Content { get; set; }

    [BsonElement("sentAt")]
    public DateTime SentAt { get; set; }

    [BsonElement("editedAt")]
    [BsonIgnoreIfNull]
    public DateTime? EditedAt { get; set; }

    [BsonElement("deletedAt")]
    [BsonIgnoreIfNull]
    public DateTime? DeletedAt { get; set; }

    [BsonElement("replyTo")]
    [BsonIgnoreIfNull]
    [BsonGuidRepresentation(GuidRepresentation.Standard)]
    public Guid? ReplyTo { get; set; }

    [BsonElement("reactions")]
    [BsonIgnoreIfNull]
    public List<ReactionDocument>? Reactions { get; set; }

    public static MessageDocument From(ChatMessage message) => new()
    {
        Id = message.MessageId,
        ConversationId = message.ConversationId,
        Seq = message.Seq,
        SenderId = message.SenderId,
        ClientMessageId = message.ClientMessageId,
        Content = message.Content is null ? null : ContentDocument.From(message.Content),
        SentAt = message.SentAt.UtcDateTime,
        ReplyTo = message.ReplyTo,
    };

    public ChatMessage ToMessage() => new(
        Id,
        ConversationId,
        Seq,
        SenderId,
        ClientMessageId,
        DeletedAt is null ? Content?.ToContent() : null,
        new DateTimeOffset(DateTime.SpecifyKind(SentAt, DateTimeKind.Utc)),
        EditedAt is { } edited ? new DateTimeOffset(DateTime.SpecifyKind(edited, DateTimeKind.Utc)) : null,
        DeletedAt is null ? null : true,
        ReplyTo,
        ReactionSummary.From(Reactions?.Select(r => new Realtime.ReactionEntry(r.Emoji, r.UserId)).ToList()));
}

internal sealed class ContentDocument
{
    [BsonElement("kind")]
    public string Kind { get; set; } = "";

    [BsonElement("text")]
    [BsonIgnoreIfNull]
    public string? Text { get; set; }

    [BsonElement("url")]
    [BsonIgnoreIfNull]
    public string? Url { get; set; }

    [BsonElement("attachmentId")]
    [BsonIgnoreIfNull]
    public string? AttachmentId { get; set; }

    [BsonElement("name")]
    [BsonIgnoreIfNull]
    public string? Name { get; set; }

    [BsonElement("size")]
    [BsonIgnoreIfNull]
    public long? Size { get; set; }

    [BsonElement("mimeType")]
    [BsonIgnoreIfNull]
    public string? MimeType { get; set; }

    [BsonElement("width")]
    [BsonIgnoreIfNull]
    public int? Width { get; set; }

    [BsonElement("height")]
    [BsonIgnoreIfNull]
    public int? Height { get; set; }

    public static ContentDocument From(MessageContent content) => new()
    {
        Kind = content.Kind,
        Text = content.Text,
        Url = content.Url,
        AttachmentId = content.AttachmentId,
        Name = content.Name,
        Size = content.Size,
        MimeType = content.MimeType,
        Width = content.Width,
        Height = content.Height,
    };

    public MessageContent ToContent() => new(Kind, Text, Url, AttachmentId, Name, Size, MimeType, Width, Height);
}

internal sealed class ReactionDocument
{
    [BsonElement("emoji")]
    public string Emoji { get; set; } = "";

    [BsonElement("userId")]
    [BsonGuidRepresentation(GuidRepresentation.Standard)]
    public Guid UserId { get; set; }
}

/// <summary>A conversation's seq counter in the <c>conversations</c> collection.</summary>
internal sealed class ConversationCounter
{
    [BsonId]
    [BsonGuidRepresentation(GuidRepresentation.Standard)]
    public Guid Id { get; set; }

    [BsonElement("lastSeq")]
    public long LastSeq { get; set; }

    [BsonElement("lastActivityAt")]
    public DateTime LastActivityAt { get; set; }
}
