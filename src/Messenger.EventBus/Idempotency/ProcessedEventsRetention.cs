using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messenger.EventBus.Idempotency;

/// <summary>
/// Deletes the record of applied events once no redelivery can be that late
/// (<c>EventBus:Consumer:ProcessedEventsRetention</c>), hourly, so <c>processed_events</c> does not
/// grow with every event a service ever handled.
/// </summary>
public sealed partial class ProcessedEventsRetention<TDbContext>(
    IServiceScopeFactory scopes,
    IOptions<EventBusOptions> options,
    TimeProvider time,
    ILogger<ProcessedEventsRetention<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>Deletes the records older than the retention as of <paramref name="now"/>; returns how many went.</summary>
    public async Task<int> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var before = now - options.Value.Consumer.ProcessedEventsRetention;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        return await db.Set<ProcessedEvent>().Where(p => p.ProcessedAt < before).ExecuteDeleteAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    var purged = await PurgeAsync(time.GetUtcNow(), stoppingToken);
                    if (purged > 0)
                    {
                        LogPurged(logger, purged);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} records of events applied long ago")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old records of applied events failed; trying again at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}

public static class ProcessedEventsRetentionExtensions
{
    /// <summary>Deletes <typeparamref name="TDbContext"/>'s old <c>processed_events</c> rows in the background.</summary>
    public static IServiceCollection AddProcessedEventsRetention<TDbContext>(this IServiceCollection services) where TDbContext : DbContext
    {
        services.AddSingleton<ProcessedEventsRetention<TDbContext>>();
        services.AddHostedService(sp => sp.GetRequiredService<ProcessedEventsRetention<TDbContext>>());
        return services;
    }
}
