using Microsoft.AspNetCore.Http.HttpResults;

namespace User.Api.Api;

/// <summary>The problem answers several routes of this service share.</summary>
internal static class UserProblems
{
    public static ProblemHttpResult UserNotFound(string username) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "User not found",
        detail: $"No user is called '{username}'.");

    public static ProblemHttpResult UserIdNotFound(Guid userId) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "User not found",
        detail: $"No user has the id {userId}.");
}
