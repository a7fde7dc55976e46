using System.Security.Claims;
using Friendship.Api.Data;
using Friendship.Api.Domain;
using Friendship.Api.Users;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Paging;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Friendship.Api.Api;

/// <summary>Asking, answering and withdrawing friend requests (the seed's request, accept and reject routes).</summary>
public static class FriendRequestsApi
{
    public static IEndpointRouteBuilder MapFriendRequestsApi(this IEndpointRouteBuilder app)
    {
        var friends = app.MapGroup("/friends").WithTags("Friend requests");
        friends.MapPost("/request", Send)
            .WithSummary("Asks a user (by username or userId) to be friends. If they had already asked, this accepts their request (200).");
        friends.MapPost("/accept", Accept).WithSummary("Accepts a request addressed to the caller.");
        friends.MapPost("/reject", Reject).WithSummary("Rejects a request addressed to the caller.");
        friends.MapGet("/requests", List).WithSummary("Pending requests to the caller (direction=incoming, the default) or from them (outgoing), newest first.");
        friends.MapGet("/requests/{requestId:guid}", Get).WithSummary("One request the caller sent or received.");
        friends.MapDelete("/requests/{requestId:guid}", Withdraw).WithSummary("Withdraws a pending request the caller sent.");
        return app;
    }

    /// <summary>Request = {requestId, fromUserId, toUserId, status, createdAt} (DESIGN §3a), with both usernames.</summary>
    public sealed record FriendRequestView(
        Guid RequestId, Guid FromUserId, Guid ToUserId, RequestStatus Status, DateTimeOffset CreatedAt,
        string FromUsername, string ToUsername, DateTimeOffset? RespondedAt)
    {
        public static FriendRequestView Of(FriendRequest r) =>
            new(r.Id, r.FromUserId, r.ToUserId, r.Status, r.CreatedAt, r.FromUsername, r.ToUsername, r.RespondedAt);
    }

    public sealed record SendRequestBody(string? Username, Guid? UserId);

    public sealed record RequestIdBody(Guid? RequestId);

    public sealed record RequestPosition(DateTimeOffset CreatedAt, Guid RequestId);

    internal static async Task<Results<Created<FriendRequestView>, Ok<FriendRequestView>, ValidationProblem, ProblemHttpResult>> Send(
        SendRequestBody request, UserDirectory users, FriendGraph graph, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var me = user.GetUserId();
        var username = request.Username?.Trim().ToLowerInvariant();
        var field = request.UserId is null ? "username" : "userId";
        if (string.IsNullOrEmpty(username) == (request.UserId is null))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [field] = ["Give either the username or the userId of the person to ask, not both."] },
                title: "The friend request is not valid.");
        }

        if (request.UserId == me || username == user.GetUsername())
        {
            return NotToYourself(field);
        }

        // A name no account can have is not looked up: User refuses such a path, which would read as User being down.
        if (username is { Length: > 64 } || username?.Any(char.IsControl) == true)
        {
            return FriendProblems.UserNotFound();
        }

        var addressee = request.UserId is { } userId
            ? await users.FindByIdAsync(userId, cancellationToken)
            : await users.FindByUsernameAsync(username!, cancellationToken);
        if (addressee is null)
        {
            return FriendProblems.UserNotFound();
        }

        if (addressee.UserId == me)
        {
            return NotToYourself(field);
        }

        var outcome = await graph.SendAsync(me, user.GetUsername(), addressee, cancellationToken);
        return outcome.Result switch
        {
            SendResult.Sent => TypedResults.Created($"/friends/requests/{outcome.Request!.Id}", FriendRequestView.Of(outcome.Request)),
            SendResult.AcceptedTheirs => TypedResults.Ok(FriendRequestView.Of(outcome.Request!)),
            SendResult.AlreadySent => Problem(StatusCodes.Status409Conflict, "Request already sent",
                $"You already asked {addressee.Username}; the request {outcome.Request!.Id} is waiting for an answer."),
            SendResult.AlreadyFriends => Problem(StatusCodes.Status409Conflict, "Already friends", $"You and {addressee.Username} are already friends."),
            SendResult.SenderBlockedThem => Problem(StatusCodes.Status403Forbidden, "You blocked this user",
                $"Unblock {addressee.Username} before sending them a friend request."),
            _ => Problem(StatusCodes.Status403Forbidden, "Friend requests not accepted",
                $"{addressee.Username} does not accept friend requests from you."),
        };
    }

    internal static Task<Results<Ok<FriendRequestView>, ValidationProblem, ProblemHttpResult>> Accept(
        RequestIdBody request, FriendGraph graph, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        RespondAsync(request, accept: true, graph, user, cancellationToken);

    internal static Task<Results<Ok<FriendRequestView>, ValidationProblem, ProblemHttpResult>> Reject(
        RequestIdBody request, FriendGraph graph, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        RespondAsync(request, accept: false, graph, user, cancellationToken);

    internal static async Task<Results<Ok<Page<FriendRequestView>>, ValidationProblem>> List(
        string? direction, int? limit, string? cursor, FriendshipDbContext db, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var incoming = direction is null || direction.Equals("incoming", StringComparison.OrdinalIgnoreCase);
        var errors = incoming || direction!.Equals("outgoing", StringComparison.OrdinalIgnoreCase)
            ? []
            : new Dictionary<string, string[]> { ["direction"] = ["The direction is incoming (requests to you, the default) or outgoing."] };
        if (!Paging.TryRead<RequestPosition>(limit, cursor, out var page, out var pagingErrors))
        {
            foreach (var (key, messages) in pagingErrors)
            {
                errors[key] = messages;
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The list request is not valid.");
        }

        var me = user.GetUserId();
        var requests = db.Requests.AsNoTracking()
            .Where(r => r.Status == RequestStatus.Pending && (incoming ? r.ToUserId == me : r.FromUserId == me));
        if (page!.After is { } after)
        {
            requests = requests.Where(r => EF.Functions.LessThan(ValueTuple.Create(r.CreatedAt, r.Id), ValueTuple.Create(after.CreatedAt, after.RequestId)));
        }

        var rows = await requests.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(Paging.ToPage(rows, page.Limit, FriendRequestView.Of, r => new RequestPosition(r.CreatedAt, r.Id)));
    }

    internal static async Task<Results<Ok<FriendRequestView>, ProblemHttpResult>> Get(
        Guid requestId, FriendshipDbContext db, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var me = user.GetUserId();
        var request = await db.Requests.AsNoTracking()
            .FirstOrDefaultAsync(r => r.Id == requestId && (r.FromUserId == me || r.ToUserId == me), cancellationToken);
        return request is null ? RequestNotFound() : TypedResults.Ok(FriendRequestView.Of(request));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Withdraw(
        Guid requestId, FriendGraph graph, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await graph.WithdrawAsync(user.GetUserId(), requestId, cancellationToken);
        return outcome.Result switch
        {
            ChangeResult.Done => TypedResults.NoContent(),
            ChangeResult.WrongParty => Problem(StatusCodes.Status403Forbidden, "Not your request",
                "Only the sender can withdraw a request; reject it instead."),
            ChangeResult.NotPending => AlreadyAnswered(outcome.Request!),
            _ => RequestNotFound(),
        };
    }

    private static async Task<Results<Ok<FriendRequestView>, ValidationProblem, ProblemHttpResult>> RespondAsync(
        RequestIdBody request, bool accept, FriendGraph graph, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (request.RequestId is not { } requestId)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["requestId"] = ["The id of the friend request is required."] },
                title: "The answer is not valid.");
        }

        var outcome = await graph.RespondAsync(user.GetUserId(), requestId, accept, cancellationToken);
        return outcome.Result switch
        {
            ChangeResult.Done => TypedResults.Ok(FriendRequestView.Of(outcome.Request!)),
            ChangeResult.WrongParty => Problem(StatusCodes.Status403Forbidden, "Not your request to answer",
                $"Only {outcome.Request!.ToUsername}, who was asked, can {(accept ? "accept" : "reject")} this request."),
            ChangeResult.NotPending => AlreadyAnswered(outcome.Request!),
            _ => RequestNotFound(),
        };
    }

    private static ValidationProblem NotToYourself(string field) => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { [field] = ["You cannot send a friend request to yourself."] },
        title: "The friend request is not valid.");

    private static ProblemHttpResult RequestNotFound() =>
        Problem(StatusCodes.Status404NotFound, "Friend request not found", "You sent or received no friend request with this id.");

    private static ProblemHttpResult AlreadyAnswered(FriendRequest request) =>
        Problem(StatusCodes.Status409Conflict, "Request no longer pending", $"The request was already {request.Status.ToString().ToLowerInvariant()}.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
