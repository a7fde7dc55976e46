using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.Api.Domain;

namespace Chat.Api.Realtime;

/// <summary>
/// Every frame a client may send (docs/chat-protocol.md), read into one shape: <see cref="Type"/>
/// says which fields matter. Unknown fields are ignored, so clients can be newer than the server.
/// </summary>
internal sealed class ClientFrame
{
    public string? Type { get; set; }

    public string? ClientMessageId { get; set; }

    public Guid? ConversationId { get; set; }

    public MessageContent? Content { get; set; }

    public Guid? ReplyTo { get; set; }

    public long? Seq { get; set; }

    public long? AfterSeq { get; set; }

    public Guid? MessageId { get; set; }

    public string? Emoji { get; set; }

    /// <summary>Echoed in an <c>error</c> caused by this frame, so a client can match it.</summary>
    public string? RequestId { get; set; }
}

internal static class FrameTypes
{
    public const string Send = "send";
    public const string Typing = "typing";
    public const string Read = "read";
    public const string Sync = "sync";
    public const string Ping = "ping";
    public const string Edit = "edit";
    public const string Delete = "delete";
    public const string React = "react";
    public const string Unreact = "unreact";
    public const string Focus = "focus";
    public const string Blur = "blur";
}

/// <summary>The codes of <c>error</c> frames.</summary>
internal static class ErrorCodes
{
    public const string BadFrame = "bad_frame";
    public const string UnknownType = "unknown_type";
    public const string Invalid = "invalid";
    public const string NotFound = "not_found";
    public const string Blocked = "blocked";
    public const string Forbidden = "forbidden";
    public const string RateLimited = "rate_limited";
    public const string Unavailable = "unavailable";
    public const string ReplyNotFound = "reply_not_found";
    public const string AttachmentNotFound = "attachment_not_found";
}

internal sealed record AckFrame(string ClientMessageId, Guid MessageId, Guid ConversationId, long Seq, DateTimeOffset SentAt)
{
    [JsonPropertyOrder(-1)]
    public string Type { get; } = "ack";
}

internal sealed record MessageFrame(ChatMessage Message)
{
    [JsonPropertyOrder(-1)]
    public string Type { get; } = "message";
}

/// <summary>A stored message changed (edited, deleted, reactions): replace the one with the same seq.</summary>
internal sealed record UpdatedFrame(ChatMessage Message)
{
    [JsonPropertyOrder(-1)]
    public string Type { get; } = "updated";
}

internal sealed record TypingFrame(Guid ConversationId, Guid UserId)
{
    [JsonPropertyOrder(-1)]
    public string Type { get; } = "typing";
}

internal sealed record ReadFrame(Guid ConversationId, Guid UserId, long Seq)
{
    [JsonPropertyOrder(-1)]
    public string Type { get; } = "read";
}

internal sealed record PongFrame
{
    [JsonPropertyOrder(-1)]
    public string Type { get; } = "pong";
}

internal sealed record ErrorFrame(string Code, string Message, string? ClientMessageId = null, string? RequestId = null)
{
    [JsonPropertyOrder(-1)]
    public string Type { get; } = "error";
}

/// <summary>Ends the answer to a <c>sync</c>: the missed messages came before it, in seq order.</summary>
internal sealed record SyncedFrame(Guid ConversationId, long AfterSeq, long LastSeq, bool HasMore)
{
    [JsonPropertyOrder(-1)]
    public string Type { get; } = "synced";
}

/// <summary>A conversation the user belongs to (or just left) changed: members, title.</summary>
internal sealed record ConversationFrame(ConversationView Conversation)
{
    [JsonPropertyOrder(-1)]
    public string Type { get; } = "conversation";
}

/// <summary>The JSON shape of a conversation (DESIGN §3a).</summary>
public sealed record ConversationView(
    Guid ConversationId,
    string Type,
    string? Title,
    IReadOnlyList<Guid> MemberIds,
    DateTimeOffset CreatedAt,
    long LastSeq);

/// <summary>One reaction as stored: who gave which emoji.</summary>
internal sealed record ReactionEntry(string Emoji, Guid UserId);

/// <summary>Source-generated JSON for the socket frames and the stored documents (the hot path).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowOutOfOrderMetadataProperties = true)]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(AckFrame))]
[JsonSerializable(typeof(MessageFrame))]
[JsonSerializable(typeof(UpdatedFrame))]
[JsonSerializable(typeof(TypingFrame))]
[JsonSerializable(typeof(ReadFrame))]
[JsonSerializable(typeof(PongFrame))]
[JsonSerializable(typeof(ErrorFrame))]
[JsonSerializable(typeof(SyncedFrame))]
[JsonSerializable(typeof(ConversationFrame))]
[JsonSerializable(typeof(MessageContent))]
[JsonSerializable(typeof(PresenceChange))]
[JsonSerializable(typeof(List<ReactionEntry>))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;
