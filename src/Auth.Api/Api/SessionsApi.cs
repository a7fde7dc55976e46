using System.Text.Json.Serialization;
using Auth.Api.Data;
using Auth.Api.Sessions;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Auth.Api.Api;

/// <summary>The signed-in devices of the current user.</summary>
public static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/sessions").WithTags("Sessions");
        sessions.MapGet("", List).WithSummary("Lists the user's active sessions, most recently used first.");
        sessions.MapDelete("/{id:guid}", Revoke).WithSummary("Ends one of the user's sessions (log out a device).");
        return app;
    }

    /// <summary>A signed-in device (DESIGN §3a): <c>userAgent</c> and <c>ip</c> are always present, null when unknown.</summary>
    public sealed record SessionView(
        Guid Id,
        DateTimeOffset CreatedAt,
        DateTimeOffset LastSeenAt,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? UserAgent,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Ip,
        bool Current);

    public sealed record SessionList(IReadOnlyList<SessionView> Items);

    internal static async Task<Ok<SessionList>> List(
        AuthDbContext db, SessionActivity activity, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var userId = http.User.GetUserId();
        var current = http.User.GetSessionId();
        var sessions = await db.Sessions.AsNoTracking()
            .Where(s => s.AccountId == userId && s.RevokedAt == null && s.ExpiresAt > now)
            .ToListAsync(cancellationToken);
        var seen = await activity.GetAsync([.. sessions.Select(s => s.Id)]);

        var items = sessions
            .Select(s => new SessionView(
                s.Id,
                s.CreatedAt,
                seen.TryGetValue(s.Id, out var lastSeen) && lastSeen > s.LastSeenAt ? lastSeen : s.LastSeenAt,
                s.UserAgent,
                s.IpAddress,
                s.Id == current))
            .OrderByDescending(s => s.LastSeenAt)
            .ToList();
        return TypedResults.Ok(new SessionList(items));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        Guid id, AuthDbContext db, SessionService sessions, HttpContext http, CancellationToken cancellationToken)
    {
        var userId = http.User.GetUserId();
        // Another user's session is reported as missing, so session ids cannot be probed.
        if (!await db.Sessions.AnyAsync(s => s.Id == id && s.AccountId == userId && s.RevokedAt == null, cancellationToken))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Session not found",
                detail: "You have no active session with this id.");
        }

        await sessions.RevokeAsync([id], "revoked_by_user", cancellationToken);
        return TypedResults.NoContent();
    }
}
