using System.Security.Claims;
using Friendship.Api.Data;
using Friendship.Api.Domain;
using Friendship.Api.Users;
using Messenger.Contracts.Users;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Paging;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Friendship.Api.Api;

/// <summary>Friend lists and ending friendships (the seed's <c>GET /friends/{userId}</c> and <c>DELETE /friends/remove</c>).</summary>
public static class FriendsApi
{
    public static IEndpointRouteBuilder MapFriendsApi(this IEndpointRouteBuilder app)
    {
        var friends = app.MapGroup("/friends").WithTags("Friends");
        friends.MapGet("/{userId}", List)
            .WithSummary("A user's friends, newest friendship first, with profile summaries. Who may see them is the user's friendListVisibleTo setting (default: friends).");
        friends.MapDelete("/remove", Remove).WithSummary("Ends a friendship: {userId} in the body, or ?userId=.");
        return app;
    }

    /// <summary>{userId, username, displayName, since} (DESIGN §3a) and the avatar.</summary>
    public sealed record FriendView(Guid UserId, string Username, string DisplayName, DateTimeOffset Since, string? AvatarUrl);

    public sealed record RemoveBody(Guid? UserId);

    public sealed record FriendPosition(DateTimeOffset Since, Guid UserId);

    internal static async Task<Results<Ok<Page<FriendView>>, ValidationProblem, ProblemHttpResult>> List(
        Guid userId,
        int? limit,
        string? cursor,
        FriendshipDbContext db,
        FriendGraph graph,
        UserDirectory users,
        ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        if (!Paging.TryRead<FriendPosition>(limit, cursor, out var page, out var errors))
        {
            return TypedResults.ValidationProblem(errors, title: "The list request is not valid.");
        }

        var owner = await users.FindByIdAsync(userId, cancellationToken);
        if (owner is null)
        {
            return FriendProblems.UserNotFound();
        }

        var audience = owner.Privacy.FriendListVisibleTo;
        if (!await graph.AdmitsAsync(audience, owner.UserId, user.GetUserId(), cancellationToken))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Friend list not visible",
                detail: $"{owner.Username} shows their friends to {Describe(audience)} only.");
        }

        var edges = db.Friends.AsNoTracking().Where(e => e.UserId == userId);
        if (page.After is { } after)
        {
            edges = edges.Where(e => EF.Functions.LessThan(ValueTuple.Create(e.Since, e.FriendId), ValueTuple.Create(after.Since, after.UserId)));
        }

        var rows = await edges.OrderByDescending(e => e.Since).ThenByDescending(e => e.FriendId).Take(page.Limit + 1).ToListAsync(cancellationToken);
        var profiles = await users.FindManyAsync([.. rows.Take(page.Limit).Select(e => e.FriendId)], cancellationToken);
        return TypedResults.Ok(Paging.ToPage(
            rows,
            page.Limit,
            e => profiles.TryGetValue(e.FriendId, out var p)
                ? new FriendView(e.FriendId, p.Username, p.DisplayName, e.Since, p.AvatarUrl)
                : new FriendView(e.FriendId, e.FriendUsername, e.FriendUsername, e.Since, null),
            e => new FriendPosition(e.Since, e.FriendId)));
    }

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Remove(
        [FromBody] RemoveBody? body, [FromQuery(Name = "userId")] Guid? queryUserId, FriendGraph graph, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var friendId = body?.UserId ?? queryUserId;
        string? error = friendId is null ? "The userId of the friend is required, in the body or as ?userId=."
            : body?.UserId is { } a && queryUserId is { } b && a != b ? "The body and the query name different users."
            : friendId == user.GetUserId() ? "You cannot unfriend yourself."
            : null;
        if (error is not null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["userId"] = [error] }, title: "The removal is not valid.");
        }

        return await graph.RemoveAsync(user.GetUserId(), friendId!.Value, cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not friends", detail: "You are not friends with this user.");
    }

    private static string Describe(Audience audience) => audience switch
    {
        Audience.Everyone => "everyone",
        Audience.FriendsOfFriends => "friends and their friends",
        Audience.Friends => "friends",
        _ => "themself",
    };
}
