using System.Text.Json;
using Chat.Api.Data;
using Chat.Api.Domain;
using Chat.Api.Domain.Attachments;
using Chat.Api.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Chat.Api.Realtime;

/// <summary>
/// Reads and answers the frames of docs/chat-protocol.md. A frame the client got wrong is answered
/// with an <c>error</c> frame and the connection stays open; nothing a client sends may throw out of
/// here. Sends are checked (shape, size, membership, rate) and queued for the <see cref="MessageWriter"/>,
/// which acks them after they are stored, so a socket never waits for the database per message.
/// </summary>
internal sealed partial class ChatFrameHandler(
    ConversationDirectory directory,
    MessageWriter writer,
    IMessageStore store,
    MessageActions actions,
    AttachmentReferences attachments,
    FanOut fanOut,
    Presence presence,
    UserRateLimiter userRateLimit,
    IOptions<ChatOptions> options,
    ILogger<ChatFrameHandler> logger)
{
    private readonly int syncPageSize = options.Value.SyncPageSize;

    public async ValueTask HandleAsync(ChatConnection connection, ReadOnlyMemory<byte> utf8Json)
    {
        ClientFrame? frame;
        try
        {
            frame = JsonSerializer.Deserialize(utf8Json.Span, ChatJsonContext.Default.ClientFrame);
        }
        catch (JsonException ex)
        {
            connection.TrySend(FrameWriter.Error(ErrorCodes.BadFrame, $"The frame is not valid JSON of the expected shape (at {ex.Path ?? "$"})."));
            return;
        }

        if (frame is null)
        {
            connection.TrySend(FrameWriter.Error(ErrorCodes.BadFrame, "A frame is a JSON object with a type."));
            return;
        }

        try
        {
            await DispatchAsync(connection, frame);
        }
        catch (Exception ex)
        {
            if (ex is NpgsqlException or RedisException or TimeoutException or OperationCanceledException)
            {
                LogFrameFailed(logger, frame.Type, ex);
            }
            else
            {
                LogFrameBug(logger, frame.Type, ex);
            }

            connection.TrySend(FrameWriter.Error(ErrorCodes.Unavailable, "The server could not handle this frame now; try again.", frame.ClientMessageId, frame.RequestId));
        }
    }

    private ValueTask DispatchAsync(ChatConnection connection, ClientFrame frame)
    {
        switch (frame.Type)
        {
            case FrameTypes.Ping:
                connection.TrySend(FrameWriter.Pong());
                return ValueTask.CompletedTask;
            // Everything else costs a database or Redis round trip (a sync reads up to a page of
            // messages), so it all draws from the same buckets.
            case FrameTypes.Sync:
            case FrameTypes.Focus:
            case FrameTypes.Blur:
            case FrameTypes.Send:
            case FrameTypes.Typing:
            case FrameTypes.Read:
            case FrameTypes.Edit:
            case FrameTypes.Delete:
            case FrameTypes.React:
            case FrameTypes.Unreact:
                if (!connection.RateLimit.TryTake() || !userRateLimit.TryTake(connection.UserId))
                {
                    connection.TrySend(FrameWriter.Error(ErrorCodes.RateLimited, "Too many frames; slow down.", frame.ClientMessageId, frame.RequestId));
                    return ValueTask.CompletedTask;
                }

                return frame.Type switch
                {
                    FrameTypes.Sync => SyncAsync(connection, frame),
                    FrameTypes.Focus or FrameTypes.Blur => FocusAsync(connection, frame),
                    FrameTypes.Send => SendAsync(connection, frame),
                    FrameTypes.Typing => TypingAsync(connection, frame),
                    FrameTypes.Read => ReadAsync(connection, frame),
                    FrameTypes.Edit => EditAsync(connection, frame),
                    FrameTypes.Delete => DeleteAsync(connection, frame),
                    _ => ReactAsync(connection, frame),
                };
            case null or "":
                return Reply(connection, frame, ErrorCodes.BadFrame, "The frame has no type.");
            default:
                return Reply(connection, frame, ErrorCodes.UnknownType, $"Unknown frame type '{Truncate(frame.Type)}'.");
        }
    }

    private async ValueTask SendAsync(ChatConnection connection, ClientFrame frame)
    {
        var problem = ContentRules.CheckClientMessageId(frame.ClientMessageId)
            ?? (frame.ConversationId is null ? "A conversationId is required." : null)
            ?? ContentRules.Check(frame.Content);
        if (problem is not null)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, problem);
            return;
        }

        if (await WritableConversationAsync(connection, frame) is not { } conversation)
        {
            return;
        }

        var content = frame.Content!;
        if (content.AttachmentId is not null)
        {
            (var resolved, problem) = await attachments.ResolveAsync(connection.UserId, content, CancellationToken.None);
            if (resolved is null)
            {
                await Reply(connection, frame, ErrorCodes.AttachmentNotFound, problem!);
                return;
            }

            content = resolved;
        }

        var message = new NewMessage(MessageIds.New(), conversation, connection.UserId, connection.Username,
            frame.ClientMessageId!, content, frame.ReplyTo);
        await writer.EnqueueAsync(new PendingSend(message, connection, frame.RequestId), CancellationToken.None);
    }

    private async ValueTask TypingAsync(ChatConnection connection, ClientFrame frame)
    {
        if (await WritableConversationAsync(connection, frame) is { } conversation)
        {
            fanOut.Deliver(new Delivery(FrameWriter.Typing(conversation.Id, connection.UserId), conversation.MemberIds, ExceptUser: connection.UserId));
        }
    }

    private async ValueTask ReadAsync(ChatConnection connection, ClientFrame frame)
    {
        if (frame.ConversationId is not { } conversationId || frame.Seq is not { } seq || seq < 0)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, "A read frame needs a conversationId and a seq of 0 or more.");
            return;
        }

        if (await actions.MarkReadAsync(connection.UserId, conversationId, seq, connection.Id, CancellationToken.None) is null)
        {
            await Reply(connection, frame, ErrorCodes.NotFound, "No such conversation.");
        }
    }

    private async ValueTask SyncAsync(ChatConnection connection, ClientFrame frame)
    {
        if (frame.ConversationId is not { } conversationId || frame.AfterSeq is not { } afterSeq || afterSeq < 0)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, "A sync frame needs a conversationId and an afterSeq of 0 or more.");
            return;
        }

        if (await directory.GetAsync(conversationId, CancellationToken.None) is not { } conversation || !conversation.IsMember(connection.UserId))
        {
            await Reply(connection, frame, ErrorCodes.NotFound, "No such conversation.");
            return;
        }

        var page = await store.GetAfterAsync(conversationId, afterSeq, syncPageSize, CancellationToken.None);
        foreach (var message in page.Items)
        {
            if (!await connection.SendAsync(FrameWriter.Message(message)))
            {
                return;
            }
        }

        var lastSeq = page.Items.Count > 0 ? page.Items[^1].Seq : afterSeq;
        await connection.SendAsync(FrameWriter.Synced(conversationId, afterSeq, lastSeq, page.HasMore));
    }

    private async ValueTask EditAsync(ChatConnection connection, ClientFrame frame)
    {
        if (frame.ConversationId is not { } conversationId || frame.MessageId is not { } messageId)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, "An edit frame needs a conversationId and a messageId.");
            return;
        }

        if (ContentRules.CheckEdit(frame.Content) is { } problem)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, problem);
            return;
        }

        var change = await actions.EditAsync(connection.UserId, conversationId, messageId, frame.Content!, CancellationToken.None);
        await ReplyToChange(connection, frame, change);
    }

    private async ValueTask DeleteAsync(ChatConnection connection, ClientFrame frame)
    {
        if (frame.ConversationId is not { } conversationId || frame.MessageId is not { } messageId)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, "A delete frame needs a conversationId and a messageId.");
            return;
        }

        var change = await actions.DeleteAsync(connection.UserId, conversationId, messageId, CancellationToken.None);
        await ReplyToChange(connection, frame, change);
    }

    private async ValueTask ReactAsync(ChatConnection connection, ClientFrame frame)
    {
        if (frame.ConversationId is not { } conversationId || frame.MessageId is not { } messageId)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, "A reaction frame needs a conversationId and a messageId.");
            return;
        }

        if (ContentRules.CheckEmoji(frame.Emoji) is { } problem)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, problem);
            return;
        }

        var change = await actions.SetReactionAsync(connection.UserId, conversationId, messageId, frame.Emoji!, frame.Type == FrameTypes.React, CancellationToken.None);
        await ReplyToChange(connection, frame, change);
    }

    private async ValueTask FocusAsync(ChatConnection connection, ClientFrame frame)
    {
        if (frame.ConversationId is not { } conversationId)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, $"A {frame.Type} frame needs a conversationId.");
            return;
        }

        if (frame.Type == FrameTypes.Blur)
        {
            if (connection.Blur(conversationId))
            {
                await presence.BlurAsync(connection.UserId, conversationId);
            }

            return;
        }

        if (await directory.GetAsync(conversationId, CancellationToken.None) is not { } conversation || !conversation.IsMember(connection.UserId))
        {
            await Reply(connection, frame, ErrorCodes.NotFound, "No such conversation.");
            return;
        }

        connection.Focus(conversationId);
        await presence.FocusAsync(connection.UserId, conversationId);
    }

    /// <summary>The conversation when the connection's user may write to it; otherwise answers with the reason.</summary>
    private async ValueTask<ConversationSnapshot?> WritableConversationAsync(ChatConnection connection, ClientFrame frame)
    {
        if (frame.ConversationId is not { } conversationId)
        {
            await Reply(connection, frame, ErrorCodes.Invalid, "A conversationId is required.");
            return null;
        }

        var conversation = await directory.GetAsync(conversationId, CancellationToken.None);
        if (conversation is null || !conversation.IsMember(connection.UserId))
        {
            await Reply(connection, frame, ErrorCodes.NotFound, "No such conversation.");
            return null;
        }

        if (!conversation.MayWrite(connection.UserId))
        {
            await Reply(connection, frame, ErrorCodes.Blocked, "You cannot write to this conversation.");
            return null;
        }

        return conversation;
    }

    private static ValueTask ReplyToChange(ChatConnection connection, ClientFrame frame, MessageChange change)
    {
        switch (change.Status)
        {
            case MessageChangeStatus.NotFound:
                return Reply(connection, frame, ErrorCodes.NotFound, "No such message.");
            case MessageChangeStatus.NotAuthor:
                return Reply(connection, frame, ErrorCodes.Forbidden, "Only the author can change a message.");
            case MessageChangeStatus.AlreadyDeleted:
                return Reply(connection, frame, ErrorCodes.NotFound, "The message was deleted.");
            case MessageChangeStatus.Unchanged when frame.Type == FrameTypes.Edit:
                return Reply(connection, frame, ErrorCodes.Invalid, "An edit keeps the message's kind.");
            case MessageChangeStatus.Unchanged:
                // Already so (a repeated reaction): the current message is the answer.
                connection.TrySend(FrameWriter.Updated(change.Message!));
                return ValueTask.CompletedTask;
            default:
                return ValueTask.CompletedTask;
        }
    }

    private static ValueTask Reply(ChatConnection connection, ClientFrame frame, string code, string message)
    {
        connection.TrySend(FrameWriter.Error(code, message, frame.ClientMessageId, frame.RequestId));
        return ValueTask.CompletedTask;
    }

    private static string Truncate(string value) => value.Length <= 32 ? value : value[..32] + "…";

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling a {FrameType} frame failed unexpectedly")]
    private static partial void LogFrameBug(ILogger logger, string? frameType, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {FrameType} frame could not be handled")]
    private static partial void LogFrameFailed(ILogger logger, string? frameType, Exception exception);
}
