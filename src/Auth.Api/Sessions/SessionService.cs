using Auth.Api.Data;
using Auth.Api.Tokens;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Auth.Api.Sessions;

/// <summary>Starts, refreshes and revokes sessions, and issues their tokens.</summary>
public sealed class SessionService(
    AuthDbContext db,
    TokenIssuer tokens,
    ISessionRevocations revocations,
    SessionActivity activity,
    IOptions<SessionLifetimeOptions> options,
    TimeProvider time)
{
    /// <summary>
    /// Adds a new session for <paramref name="account"/> to the unit of work. The caller saves
    /// (together with whatever else it changed) and then calls <see cref="PendingSession.Issue"/>.
    /// </summary>
    public PendingSession Begin(Account account, HttpContext http)
    {
        var now = time.GetUtcNow();
        var session = new Session
        {
            Id = Guid.CreateVersion7(now),
            AccountId = account.Id,
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + options.Value.AbsoluteLifetime,
            UserAgent = Truncate(http.Request.Headers.UserAgent.ToString(), 512),
            IpAddress = http.Connection.RemoteIpAddress?.ToString(),
        };
        db.Sessions.Add(session);
        var refreshToken = AddRefreshToken(session.Id, now);
        return new PendingSession(tokens, account, session, refreshToken);
    }

    /// <summary>Rotates a refresh token. A token presented a second time revokes its session.</summary>
    public async Task<RefreshOutcome> RefreshAsync(string presentedToken, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var hash = TokenIssuer.HashRefreshToken(presentedToken);
        var stored = await db.RefreshTokens
            .Include(t => t.Session).ThenInclude(s => s.Account)
            .FirstOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (stored is null || !stored.Session.IsActive(now))
        {
            return RefreshOutcome.Invalid;
        }

        // Only one caller can flip UsedAt from null: a concurrent or later second use is a replay.
        var claimed = await db.RefreshTokens
            .Where(t => t.Id == stored.Id && t.UsedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.UsedAt, now), cancellationToken);
        if (claimed == 0)
        {
            if (stored.UsedAt is not null || stored.ExpiresAt > now)
            {
                await RevokeAsync([stored.SessionId], "refresh_token_reused", cancellationToken);
                return RefreshOutcome.Reused;
            }

            return RefreshOutcome.Invalid;
        }

        stored.Session.LastSeenAt = now;
        var refreshToken = AddRefreshToken(stored.SessionId, now);
        await db.SaveChangesAsync(cancellationToken);
        return RefreshOutcome.Refreshed(new PendingSession(tokens, stored.Session.Account, stored.Session, refreshToken).Issue());
    }

    /// <summary>Revokes sessions: their refresh tokens stop working and their access tokens are refused everywhere.</summary>
    public async Task RevokeAsync(IReadOnlyCollection<Guid> sessionIds, string reason, CancellationToken cancellationToken)
    {
        // Redis first: callers pick the sessions to revoke among those not yet revoked in the
        // database, so if Redis failed after the database had committed, a retry would find nothing
        // and the access tokens would stay valid until they expire. The Redis marks are idempotent.
        foreach (var sessionId in sessionIds)
        {
            await revocations.RevokeAsync(sessionId);
            await activity.ForgetAsync(sessionId);
        }

        var now = time.GetUtcNow();
        await db.Sessions
            .Where(s => sessionIds.Contains(s.Id) && s.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.RevokedAt, now).SetProperty(s => s.RevokedReason, reason), cancellationToken);
        await db.RefreshTokens.Where(t => sessionIds.Contains(t.SessionId)).ExecuteDeleteAsync(cancellationToken);
    }

    private string AddRefreshToken(Guid sessionId, DateTimeOffset now)
    {
        var raw = TokenIssuer.CreateRefreshToken();
        db.RefreshTokens.Add(new RefreshToken
        {
            Id = Guid.CreateVersion7(now),
            SessionId = sessionId,
            TokenHash = TokenIssuer.HashRefreshToken(raw),
            CreatedAt = now,
            ExpiresAt = now + options.Value.RefreshTokenLifetime,
        });
        return raw;
    }

    private static string? Truncate(string value, int max) =>
        value.Length == 0 ? null : value.Length <= max ? value : value[..max];

    /// <summary>A session added to the unit of work; <see cref="Issue"/> after saving.</summary>
    public sealed class PendingSession(TokenIssuer tokens, Account account, Session session, string refreshToken)
    {
        public Session Session => session;

        public TokenResponse Issue() => new(
            account.Id,
            account.Username,
            session.Id,
            tokens.CreateAccessToken(account.Id, account.Username, session.Id),
            refreshToken,
            "Bearer",
            (int)tokens.AccessTokenLifetime.TotalSeconds);
    }
}

public sealed record RefreshOutcome(TokenResponse? Tokens, bool WasReused)
{
    public static readonly RefreshOutcome Invalid = new(null, false);
    public static readonly RefreshOutcome Reused = new(null, true);

    public static RefreshOutcome Refreshed(TokenResponse tokens) => new(tokens, false);
}
