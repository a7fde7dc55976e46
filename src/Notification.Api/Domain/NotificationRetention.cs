using Messenger.EventBus.Idempotency;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Notification.Api.Data;
using Notification.Api.Extensions;

namespace Notification.Api.Domain;

/// <summary>
/// Deletes notifications past their retention: read (or withdrawn) ones some time after that happened,
/// unread ones after a longer period, and the record of applied events once no redelivery can be that late.
/// </summary>
public sealed partial class NotificationRetention(
    IServiceScopeFactory scopes,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<NotificationRetention> logger) : BackgroundService
{
    public sealed record Purged(int Read, int Unread, int ProcessedEvents);

    /// <summary>Deletes what is past retention as of <paramref name="now"/>.</summary>
    public async Task<Purged> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationDbContext>();
        var readBefore = now - settings.Retention;
        var createdBefore = now - settings.UnreadRetention;
        var read = await db.Notifications
            .Where(n => (n.ReadAt != null && n.ReadAt < readBefore) || (n.WithdrawnAt != null && n.WithdrawnAt < readBefore))
            .ExecuteDeleteAsync(cancellationToken);
        var unread = await db.Notifications
            .Where(n => n.ReadAt == null && n.CreatedAt < createdBefore)
            .ExecuteDeleteAsync(cancellationToken);
        var processed = await db.Set<ProcessedEvent>().Where(p => p.ProcessedAt < createdBefore).ExecuteDeleteAsync(cancellationToken);
        return new Purged(read, unread, processed);
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
                    if (purged.Read + purged.Unread > 0)
                    {
                        LogPurged(logger, purged.Read, purged.Unread);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted {Read} read and {Unread} unread notifications")]
    private static partial void LogPurged(ILogger logger, int read, int unread);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old notifications failed; trying again at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
