using Chat.Api.Domain;
using Chat.Api.Realtime;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Chat.Api.Api;

/// <summary>
/// <c>/chat</c>: the WebSocket (a <c>GET /chat</c> upgrade), the conversation list, creating
/// conversations and managing a group's title and members.
/// </summary>
public static class ConversationsApi
{
    public static IEndpointRouteBuilder MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var chat = app.MapGroup("/chat").WithTags("Conversations");
        chat.MapGet("", ListOrConnect)
            .WithSummary("Lists my conversations by last activity, or, as a WebSocket upgrade, opens the chat socket.")
            .WithDescription("As a WebSocket (token in ?access_token= or the Authorization header) this is the chat protocol of docs/chat-protocol.md.");
        chat.MapPost("", Create).WithSummary("Opens a direct conversation (200 when it already existed) or creates a group.");
        chat.MapPatch("/{conversationId:guid}", Rename).WithSummary("Renames a group (owner and admins).");
        chat.MapGet("/{conversationId:guid}/members", Members).WithSummary("The members of a conversation with their roles.");
        chat.MapPost("/{conversationId:guid}/members", AddMembers).WithSummary("Adds users to a group (owner and admins).");
        chat.MapDelete("/{conversationId:guid}/members/{userId:guid}", RemoveMember)
            .WithSummary("Removes a member (the owner anyone, an admin plain members, anyone themselves).");
        chat.MapPut("/{conversationId:guid}/members/{userId:guid}/role", SetRole).WithSummary("Makes a member an admin or a plain member (owner).");
        chat.MapPost("/{conversationId:guid}/leave", Leave).WithSummary("Leaves a group; an owner who leaves hands it to an admin or the longest member.");
        chat.MapPost("/{conversationId:guid}/read", MarkRead).WithSummary("Marks the conversation read up to a seq (as the socket's read frame).");
        return app;
    }

    public sealed record CreateConversationRequest(string? Type, Guid? UserId, string? Title, List<Guid>? MemberIds);

    public sealed record RenameRequest(string? Title);

    public sealed record AddMembersRequest(List<Guid>? UserIds);

    public sealed record RoleRequest(string? Role);

    public sealed record ReadRequest(long? Seq);

    public sealed record ReadPosition(Guid ConversationId, long LastReadSeq);

    public sealed record MemberList(IReadOnlyList<MemberView> Items);

    internal static async Task<Results<Ok<ConversationPage>, ValidationProblem, EmptyHttpResult>> ListOrConnect(
        HttpContext http, string? limit, string? cursor, ChatSockets sockets, ConversationList list, CancellationToken cancellationToken)
    {
        if (http.WebSockets.IsWebSocketRequest)
        {
            await sockets.RunAsync(http);
            return TypedResults.Empty;
        }

        var errors = new Dictionary<string, string[]>();
        var pageSize = Paging.ReadLimit(limit, errors);
        ListCursor? position = null;
        if (cursor is not null && !ListCursor.TryParse(cursor, out position))
        {
            errors["cursor"] = ["The cursor is not one this service issued."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The list request is not valid.");
        }

        return TypedResults.Ok(await list.GetAsync(http.User.GetUserId(), position, pageSize, cancellationToken));
    }

    internal static async Task<Results<Created<ConversationView>, Ok<ConversationView>, ValidationProblem, ProblemHttpResult>> Create(
        CreateConversationRequest request, ConversationService conversations, HttpContext http, CancellationToken cancellationToken)
    {
        var me = http.User.GetUserId();
        Result<ConversationView> result;
        switch (request.Type)
        {
            case ConversationTypes.Direct when request.UserId is { } userId:
                result = await conversations.CreateDirectAsync(me, userId, cancellationToken);
                break;
            case ConversationTypes.Direct:
                return Invalid("userId", "A direct conversation needs the userId of the other person.", "The conversation is not valid.");
            case ConversationTypes.Group:
                result = await conversations.CreateGroupAsync(me, request.Title, request.MemberIds, cancellationToken);
                break;
            default:
                return Invalid("type", "The type must be 'direct' or 'group'.", "The conversation is not valid.");
        }

        return result.Outcome switch
        {
            Outcome.Created => TypedResults.Created($"/chat/{result.Value!.ConversationId}", result.Value),
            Outcome.Ok => TypedResults.Ok(result.Value),
            _ => Problem(result),
        };
    }

    internal static async Task<Results<Ok<ConversationView>, ValidationProblem, ProblemHttpResult>> Rename(
        Guid conversationId, RenameRequest request, ConversationService conversations, HttpContext http, CancellationToken cancellationToken) =>
        Answer(await conversations.RenameAsync(http.User.GetUserId(), conversationId, request.Title, cancellationToken));

    internal static async Task<Results<Ok<MemberList>, ValidationProblem, ProblemHttpResult>> Members(
        Guid conversationId, ConversationService conversations, HttpContext http, CancellationToken cancellationToken)
    {
        var result = await conversations.GetMembersAsync(http.User.GetUserId(), conversationId, cancellationToken);
        return result.Outcome == Outcome.Ok ? TypedResults.Ok(new MemberList(result.Value!)) : Problem(result);
    }

    internal static async Task<Results<Ok<ConversationView>, ValidationProblem, ProblemHttpResult>> AddMembers(
        Guid conversationId, AddMembersRequest request, ConversationService conversations, HttpContext http, CancellationToken cancellationToken) =>
        Answer(await conversations.AddMembersAsync(http.User.GetUserId(), conversationId, request.UserIds, cancellationToken));

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RemoveMember(
        Guid conversationId, Guid userId, ConversationService conversations, HttpContext http, CancellationToken cancellationToken) =>
        Done(await conversations.RemoveMemberAsync(http.User.GetUserId(), conversationId, userId, cancellationToken));

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Leave(
        Guid conversationId, ConversationService conversations, HttpContext http, CancellationToken cancellationToken)
    {
        var me = http.User.GetUserId();
        return Done(await conversations.RemoveMemberAsync(me, conversationId, me, cancellationToken));
    }

    internal static async Task<Results<Ok<MemberView>, ValidationProblem, ProblemHttpResult>> SetRole(
        Guid conversationId, Guid userId, RoleRequest request, ConversationService conversations, HttpContext http, CancellationToken cancellationToken) =>
        Answer(await conversations.SetRoleAsync(http.User.GetUserId(), conversationId, userId, request.Role, cancellationToken));

    internal static async Task<Results<Ok<ReadPosition>, ValidationProblem, ProblemHttpResult>> MarkRead(
        Guid conversationId, ReadRequest request, MessageActions actions, HttpContext http, CancellationToken cancellationToken)
    {
        if (request.Seq is not { } seq || seq < 0)
        {
            return Invalid("seq", "The seq read up to is required (0 or more).", "The read position is not valid.");
        }

        return await actions.MarkReadAsync(http.User.GetUserId(), conversationId, seq, default, cancellationToken) is { } position
            ? TypedResults.Ok(new ReadPosition(conversationId, position))
            : NotFound();
    }

    private static Results<Ok<T>, ValidationProblem, ProblemHttpResult> Answer<T>(Result<T> result) =>
        result.Outcome == Outcome.Ok ? TypedResults.Ok(result.Value) : Problem(result);

    private static Results<NoContent, ValidationProblem, ProblemHttpResult> Done<T>(Result<T> result) =>
        result.Outcome == Outcome.Ok ? TypedResults.NoContent() : Problem(result);

    /// <summary>The problem details of a command that did not succeed (400 with field errors, 403 or 404).</summary>
    internal static ProblemHttpResult Problem<T>(Result<T> result) => result.Outcome switch
    {
        Outcome.Invalid => TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [result.Field!] = [result.Detail!] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is not valid.",
        }),
        Outcome.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: result.Detail),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: result.Detail),
    };

    internal static ValidationProblem Invalid(string field, string error, string title) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [error] }, title: title);

    internal static ProblemHttpResult NotFound() => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Conversation not found", detail: "You have no conversation with this id.");
}
