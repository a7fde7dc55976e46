using Messenger.Contracts.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using User.Api.Data;
using User.Api.Domain;

namespace User.Api.Api;

/// <summary>
/// Lookups for other services (Friendship, Chat): who a user is and what their privacy settings
/// allow. Not routed by the gateway; callers forward the end user's access token.
/// </summary>
public static class DirectoryApi
{
    public const int MaxBatch = 100;

    public static IEndpointRouteBuilder MapDirectoryApi(this IEndpointRouteBuilder app)
    {
        var directory = app.MapGroup("/internal/users").WithTags("Internal");
        directory.MapGet("/{id:guid}", ById).WithSummary("A user by id.");
        directory.MapGet("/by-username/{username}", ByUsername).WithSummary("A user by username (any case).");
        directory.MapGet("", Batch).WithSummary($"Up to {MaxBatch} users by id (?ids=…&ids=…); unknown ids are left out.");
        return app;
    }

    internal static async Task<Results<Ok<DirectoryEntry>, ProblemHttpResult>> ById(Guid id, UsersDbContext db, CancellationToken cancellationToken) =>
        await FindAsync(db.Profiles.Where(p => p.UserId == id), UserProblems.UserIdNotFound(id), cancellationToken);

    internal static async Task<Results<Ok<DirectoryEntry>, ProblemHttpResult>> ByUsername(string username, UsersDbContext db, CancellationToken cancellationToken)
    {
        var name = ProfileRules.NormalizeUsername(username);
        return await FindAsync(db.Profiles.Where(p => p.Username == name), UserProblems.UserNotFound(name), cancellationToken);
    }

    internal static async Task<Results<Ok<DirectoryEntryList>, ValidationProblem>> Batch(
        [FromQuery] Guid[]? ids, UsersDbContext db, CancellationToken cancellationToken)
    {
        if (ids is not { Length: > 0 and <= MaxBatch })
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["ids"] = [$"Give 1 to {MaxBatch} user ids as ?ids=…&ids=…."] },
                title: "The lookup is not valid.");
        }

        var entries = await ToEntries(db.Profiles.Where(p => ids.Contains(p.UserId))).ToListAsync(cancellationToken);
        return TypedResults.Ok(new DirectoryEntryList(entries));
    }

    private static async Task<Results<Ok<DirectoryEntry>, ProblemHttpResult>> FindAsync(
        IQueryable<Profile> profiles, ProblemHttpResult notFound, CancellationToken cancellationToken) =>
        await ToEntries(profiles).FirstOrDefaultAsync(cancellationToken) is { } entry
            ? TypedResults.Ok(entry)
            : notFound;

    private static IQueryable<DirectoryEntry> ToEntries(IQueryable<Profile> profiles) =>
        profiles.AsNoTracking().Select(p => new DirectoryEntry(
            p.UserId, p.Username, p.DisplayName, p.AvatarUrl, new PrivacySettings(p.SearchableBy, p.FriendRequestsFrom, p.FriendListVisibleTo)));
}
