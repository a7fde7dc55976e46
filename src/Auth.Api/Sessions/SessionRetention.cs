using Auth.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Auth.Api.Sessions;

/// <summary>
/// Keeps the session tables from growing without end: every refresh adds a token row, and ended
/// sessions stay behind. Expired refresh tokens go; used ones go after the reuse-detection window
/// (replaying a token rotated longer ago than that is an ordinary 401 instead of ending the
/// session); sessions that ended (revoked, past their absolute lifetime, or idle past their refresh
/// token's lifetime) go some time later, with their tokens.
/// </summary>
public sealed partial class SessionRetention(
    IServiceScopeFactory scopes,
    IOptions<SessionLifetimeOptions> options,
    TimeProvider time,
    ILogger<SessionRetention> logger) : BackgroundService
{
    public sealed record Purged(int RefreshTokens, int Sessions);

    /// <summary>Deletes what is past retention as of <paramref name="now"/>.</summary>
    public async Task<Purged> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        var usedBefore = now - settings.ReuseDetectionWindow;
        var tokens = await db.RefreshTokens
            .Where(t => t.ExpiresAt < now || (t.UsedAt != null && t.UsedAt < usedBefore))
            .ExecuteDeleteAsync(cancellationToken);
        var endedBefore = now - settings.EndedSessionRetention;
        var idleBefore = endedBefore - settings.RefreshTokenLifetime;
        var sessions = await db.Sessions
            .Where(s => s.RevokedAt < endedBefore || s.ExpiresAt < endedBefore || s.LastSeenAt < idleBefore)
            .ExecuteDeleteAsync(cancellationToken);
        return new Purged(tokens, sessions);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RetentionInterval, time);
        try
        {
            do
            {
                try
                {
                    var purged = await PurgeAsync(time.GetUtcNow(), stoppingToken);
                    if (purged.RefreshTokens + purged.Sessions > 0)
                    {
                        LogPurged(logger, purged.RefreshTokens, purged.Sessions);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPurgeFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted {Tokens} refresh tokens and {Sessions} ended sessions")]
    private static partial void LogPurged(ILogger logger, int tokens, int sessions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old sessions failed; trying again at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
