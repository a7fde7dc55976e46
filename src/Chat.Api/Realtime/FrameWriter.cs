using System.Text.Json;
using Chat.Api.Domain;

namespace Chat.Api.Realtime;

/// <summary>Server frames as UTF-8 JSON, serialized once and shared by every socket that gets them.</summary>
internal static class FrameWriter
{
    private static readonly byte[] PongBytes = JsonSerializer.SerializeToUtf8Bytes(new PongFrame(), ChatJsonContext.Default.PongFrame);

    public static byte[] Pong() => PongBytes;

    public static byte[] Ack(ChatMessage message) => JsonSerializer.SerializeToUtf8Bytes(
        new AckFrame(message.ClientMessageId, message.MessageId, message.ConversationId, message.Seq, message.SentAt),
        ChatJsonContext.Default.AckFrame);

    public static byte[] Message(ChatMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(new MessageFrame(message), ChatJsonContext.Default.MessageFrame);

    public static byte[] Updated(ChatMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(new UpdatedFrame(message), ChatJsonContext.Default.UpdatedFrame);

    public static byte[] Typing(Guid conversationId, Guid userId) =>
        JsonSerializer.SerializeToUtf8Bytes(new TypingFrame(conversationId, userId), ChatJsonContext.Default.TypingFrame);

    public static byte[] Read(Guid conversationId, Guid userId, long seq) =>
        JsonSerializer.SerializeToUtf8Bytes(new ReadFrame(conversationId, userId, seq), ChatJsonContext.Default.ReadFrame);

    public static byte[] Synced(Guid conversationId, long afterSeq, long lastSeq, bool hasMore) =>
        JsonSerializer.SerializeToUtf8Bytes(new SyncedFrame(conversationId, afterSeq, lastSeq, hasMore), ChatJsonContext.Default.SyncedFrame);

    public static byte[] Conversation(ConversationView conversation) =>
        JsonSerializer.SerializeToUtf8Bytes(new ConversationFrame(conversation), ChatJsonContext.Default.ConversationFrame);

    public static byte[] Error(string code, string message, string? clientMessageId = null, string? requestId = null) =>
        JsonSerializer.SerializeToUtf8Bytes(new ErrorFrame(code, message, clientMessageId, requestId), ChatJsonContext.Default.ErrorFrame);
}
