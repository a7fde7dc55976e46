using Microsoft.AspNetCore.Http.HttpResults;

namespace Friendship.Api.Api;

/// <summary>The problem answers several routes of this service share.</summary>
internal static class FriendProblems
{
    public static ProblemHttpResult UserNotFound() => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "User not found",
        detail: "There is no such user.");
}
