using Chat.Api.Data;
using Chat.Api.Domain;
using Chat.Api.Domain.Attachments;
using Chat.Api.Realtime;
using Messenger.ServiceDefaults.Authentication;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Api;

/// <summary>
/// A conversation's messages over HTTP: history pages, search, and the same send, edit, delete
/// and reaction operations as the socket's frames.
/// </summary>
public static class MessagesApi
{
    public const int SearchQueryMaxLength = 200;

    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var chat = app.MapGroup("/chat").WithTags("Messages");
        chat.MapGet("/{conversationId:guid}", History)
            .WithSummary("A page of history, newest first. before/after are seqs; nextCursor continues in the same direction.");
        chat.MapGet("/search", Search).WithSummary("Full-text search in my conversations, newest first.");
        chat.MapPost("/{conversationId:guid}/messages", Send)
            .WithSummary("Sends a message (201), or answers with the stored one (200) when the clientMessageId was sent before.");
        chat.MapPatch("/{conversationId:guid}/messages/{messageId:guid}", Edit).WithSummary("Edits my own message (same content kind).");
        chat.MapDelete("/{conversationId:guid}/messages/{messageId:guid}", Delete).WithSummary("Deletes my own message; it stays as a tombstone.");
        chat.MapPut("/{conversationId:guid}/messages/{messageId:guid}/reactions/{emoji}", React).WithSummary("Adds my reaction.");
        chat.MapDelete("/{conversationId:guid}/messages/{messageId:guid}/reactions/{emoji}", Unreact).WithSummary("Removes my reaction.");
        return app;
    }

    public sealed record MessageList(IReadOnlyList<ChatMessage> Items, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

    public sealed record SendRequest(string? ClientMessageId, MessageContent? Content, Guid? ReplyTo);

    public sealed record EditRequest(MessageContent? Content);

    internal static async Task<Results<Ok<MessageList>, ValidationProblem, ProblemHttpResult>> History(
        Guid conversationId,
        string? before,
        string? after,
        string? limit,
        ConversationDirectory directory,
        IMessageStore store,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var pageSize = Paging.ReadLimit(limit, errors);
        var beforeSeq = Paging.ReadSeq(before, "before", errors);
        var afterSeq = Paging.ReadSeq(after, "after", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The history request is not valid.");
        }

        if (!await IsMemberAsync(directory, conversationId, http, cancellationToken))
        {
            return ConversationsApi.NotFound();
        }

        var page = await store.GetPageAsync(conversationId, beforeSeq, afterSeq, pageSize, cancellationToken);
        string? next = null;
        if (page.HasMore && page.Items.Count > 0)
        {
            next = (afterSeq is null ? page.Items[^1].Seq : page.Items[0].Seq).ToString();
        }

        return TypedResults.Ok(new MessageList(page.Items, next));
    }

    internal static async Task<Results<Ok<MessageList>, ValidationProblem>> Search(
        string? q, string? cursor, string? limit, IMessageStore store, ChatDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var pageSize = Paging.ReadLimit(limit, errors, defaultLimit: 20);
        if (string.IsNullOrWhiteSpace(q) || q.Length > SearchQueryMaxLength)
        {
            errors["q"] = [$"Search for 1 to {SearchQueryMaxLength} characters."];
        }
        else if (q.Contains('\0', StringComparison.Ordinal))
        {
            // PostgreSQL's text cannot hold U+0000, so no stored message contains it.
            errors["q"] = ["The search text may not contain the NUL character (U+0000)."];
        }

        Guid? before = null;
        if (cursor is not null)
        {
            if (Guid.TryParseExact(cursor, "N", out var id))
            {
                before = id;
            }
            else
            {
                errors["cursor"] = ["The cursor is not one this service issued."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The search is not valid.");
        }

        var me = http.User.GetUserId();
        var mine = await db.Members.Where(m => m.UserId == me).Select(m => m.ConversationId).ToListAsync(cancellationToken);
        var page = await store.SearchAsync(mine, q!.Trim(), before, pageSize, cancellationToken);
        return TypedResults.Ok(new MessageList(page.Items, page.HasMore ? page.Items[^1].MessageId.ToString("N") : null));
    }

    internal static async Task<Results<Created<ChatMessage>, Ok<ChatMessage>, ValidationProblem, ProblemHttpResult>> Send(
        Guid conversationId,
        SendRequest request,
        ConversationDirectory directory,
        MessageWriter writer,
        AttachmentReferences attachments,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var problem = ContentRules.CheckClientMessageId(request.ClientMessageId);
        if (problem is not null)
        {
            return ConversationsApi.Invalid("clientMessageId", problem, "The message is not valid.");
        }

        if (ContentRules.Check(request.Content) is { } contentProblem)
        {
            return ConversationsApi.Invalid("content", contentProblem, "The message is not valid.");
        }

        var me = http.User.GetUserId();
        if (await directory.GetAsync(conversationId, cancellationToken) is not { } conversation || !conversation.IsMember(me))
        {
            return ConversationsApi.NotFound();
        }

        if (!conversation.MayWrite(me))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: "You cannot write to this conversation.");
        }

        var content = request.Content!;
        if (content.AttachmentId is not null)
        {
            var (resolved, attachmentProblem) = await attachments.ResolveAsync(me, content, cancellationToken);
            if (resolved is null)
            {
                return ConversationsApi.Invalid("content.attachmentId", attachmentProblem!, "The message is not valid.");
            }

            content = resolved;
        }

        var outcome = await writer.StoreAsync(
            new NewMessage(MessageIds.New(), conversation, me, http.User.GetUsername(), request.ClientMessageId!, content, request.ReplyTo),
            cancellationToken);
        return outcome switch
        {
            { Message: { } message, IsNew: true } => TypedResults.Created($"/chat/{conversationId}/messages/{message.MessageId}", message),
            { Message: { } message } => TypedResults.Ok(message),
            { ErrorCode: ErrorCodes.ReplyNotFound } => ConversationsApi.Invalid("replyTo", outcome.ErrorMessage!, "The message is not valid."),
            { ErrorCode: ErrorCodes.NotFound } => ConversationsApi.NotFound(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service temporarily unavailable", detail: outcome.ErrorMessage),
        };
    }

    internal static async Task<Results<Ok<ChatMessage>, ValidationProblem, ProblemHttpResult>> Edit(
        Guid conversationId, Guid messageId, EditRequest request, MessageActions actions, HttpContext http, CancellationToken cancellationToken)
    {
        if (ContentRules.CheckEdit(request.Content) is { } problem)
        {
            return ConversationsApi.Invalid("content", problem, "The edit is not valid.");
        }

        var change = await actions.EditAsync(http.User.GetUserId(), conversationId, messageId, request.Content!, cancellationToken);
        return change.Status == MessageChangeStatus.Unchanged
            ? ConversationsApi.Invalid("content", "An edit keeps the message's kind.", "The edit is not valid.")
            : Answer(change);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid conversationId, Guid messageId, MessageActions actions, HttpContext http, CancellationToken cancellationToken)
    {
        var change = await actions.DeleteAsync(http.User.GetUserId(), conversationId, messageId, cancellationToken);
        return change.Status is MessageChangeStatus.Changed or MessageChangeStatus.AlreadyDeleted
            ? TypedResults.NoContent()
            : Failure(change);
    }

    internal static Task<Results<Ok<ChatMessage>, ValidationProblem, ProblemHttpResult>> React(
        Guid conversationId, Guid messageId, string emoji, MessageActions actions, HttpContext http, CancellationToken cancellationToken) =>
        SetReactionAsync(conversationId, messageId, emoji, present: true, actions, http, cancellationToken);

    internal static Task<Results<Ok<ChatMessage>, ValidationProblem, ProblemHttpResult>> Unreact(
        Guid conversationId, Guid messageId, string emoji, MessageActions actions, HttpContext http, CancellationToken cancellationToken) =>
        SetReactionAsync(conversationId, messageId, emoji, present: false, actions, http, cancellationToken);

    private static async Task<Results<Ok<ChatMessage>, ValidationProblem, ProblemHttpResult>> SetReactionAsync(
        Guid conversationId, Guid messageId, string emoji, bool present, MessageActions actions, HttpContext http, CancellationToken cancellationToken)
    {
        if (ContentRules.CheckEmoji(emoji) is { } problem)
        {
            return ConversationsApi.Invalid("emoji", problem, "The reaction is not valid.");
        }

        return Answer(await actions.SetReactionAsync(http.User.GetUserId(), conversationId, messageId, emoji, present, cancellationToken));
    }

    private static Results<Ok<ChatMessage>, ValidationProblem, ProblemHttpResult> Answer(MessageChange change) =>
        change.Status is MessageChangeStatus.Changed or MessageChangeStatus.Unchanged ? TypedResults.Ok(change.Message!) : Failure(change);

    private static ProblemHttpResult Failure(MessageChange change) => change.Status switch
    {
        MessageChangeStatus.NotAuthor => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: "Only the author can change a message."),
        MessageChangeStatus.AlreadyDeleted => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Message not found", detail: "The message was deleted."),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Message not found", detail: "There is no such message in a conversation of yours."),
    };

    private static async Task<bool> IsMemberAsync(ConversationDirectory directory, Guid conversationId, HttpContext http, CancellationToken cancellationToken) =>
        await directory.GetAsync(conversationId, cancellationToken) is { } conversation && conversation.IsMember(http.User.GetUserId());
}
