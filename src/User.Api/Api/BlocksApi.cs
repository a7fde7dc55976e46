using System.Security.Claims;
using Messenger.Contracts.Users;
using Messenger.EventBus.Outbox;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Data;
using Messenger.ServiceDefaults.Paging;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using User.Api.Data;
using User.Api.Domain;

namespace User.Api.Api;

/// <summary>
/// Blocking: a blocked user cannot send the blocker friend requests or messages, and does not find
/// the blocker in search. Friendship and Chat learn of it from <see cref="UserBlocked"/> and
/// <see cref="UserUnblocked"/>. Both routes are idempotent.
/// </summary>
public static class BlocksApi
{
    public static IEndpointRouteBuilder MapBlocksApi(this IEndpointRouteBuilder app)
    {
        var user = app.MapGroup("/user").WithTags("Blocking");
        user.MapGet("/blocked", List).WithSummary("The users the caller has blocked, most recent first.");
        user.MapPost("/{username}/block", Block)
            .WithSummary("Blocks a user; also ends a friendship and pending friend requests between the two.");
        user.MapDelete("/{username}/block", Unblock).WithSummary("Unblocks a user.");
        return app;
    }

    public sealed record BlockedUserView(Guid UserId, string Username, string DisplayName, string? AvatarUrl, DateTimeOffset BlockedAt);

    public sealed record BlockPosition(DateTimeOffset BlockedAt, Guid UserId);

    internal static async Task<Results<Ok<Page<BlockedUserView>>, ValidationProblem>> List(
        int? limit, string? cursor, UsersDbContext db, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (!Paging.TryRead<BlockPosition>(limit, cursor, out var page, out var errors))
        {
            return TypedResults.ValidationProblem(errors, title: "The list request is not valid.");
        }

        var me = user.GetUserId();
        var blocks = db.Blocks.AsNoTracking().Where(b => b.BlockerId == me);
        if (page.After is { } after)
        {
            blocks = blocks.Where(b => EF.Functions.LessThan(ValueTuple.Create(b.CreatedAt, b.BlockedId), ValueTuple.Create(after.BlockedAt, after.UserId)));
        }

        var rows = await blocks
            .OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.BlockedId)
            .Take(page.Limit + 1)
            .Select(b => new BlockedUserView(b.BlockedId, b.Blocked.Username, b.Blocked.DisplayName, b.Blocked.AvatarUrl, b.CreatedAt))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(Paging.ToPage(rows, page.Limit, v => v, v => new BlockPosition(v.BlockedAt, v.UserId)));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Block(
        string username, UsersDbContext db, ClaimsPrincipal user, TimeProvider time, CancellationToken cancellationToken)
    {
        var (target, problem) = await FindTargetAsync(username, db, user, cancellationToken);
        if (target is null)
        {
            return problem!;
        }

        var me = user.GetUserId();
        var now = time.GetUtcNowInMicroseconds();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var added = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ({me}, {target.Value}, {now}) ON CONFLICT DO NOTHING",
            cancellationToken);
        if (added == 1)
        {
            db.AddOutboxEvent(new UserBlocked(me, target.Value, now), now);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Unblock(
        string username, UsersDbContext db, ClaimsPrincipal user, TimeProvider time, CancellationToken cancellationToken)
    {
        var (target, problem) = await FindTargetAsync(username, db, user, cancellationToken);
        if (target is null)
        {
            return problem!;
        }

        var me = user.GetUserId();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var removed = await db.Blocks.Where(b => b.BlockerId == me && b.BlockedId == target.Value).ExecuteDeleteAsync(cancellationToken);
        if (removed == 1)
        {
            var now = time.GetUtcNowInMicroseconds();
            db.AddOutboxEvent(new UserUnblocked(me, target.Value, now), now);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<(Guid? UserId, ProblemHttpResult? Problem)> FindTargetAsync(
        string username, UsersDbContext db, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var name = ProfileRules.NormalizeUsername(username);
        var target = await db.Profiles.Where(p => p.Username == name).Select(p => (Guid?)p.UserId).FirstOrDefaultAsync(cancellationToken);
        if (target is null)
        {
            return (null, UserProblems.UserNotFound(name));
        }

        if (target == user.GetUserId())
        {
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Cannot block yourself",
                detail: "A user cannot block or unblock themself."));
        }

        return (target, null);
    }
}
