using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messenger.AppHost;

/// <summary>
/// Writes to the app host's own log when a server or service stops with an error, with the last
/// lines it printed. Without it the reason is only in the dashboard, and scripts/run.sh, which
/// watches this log, could only wait for a health check that never passes.
/// </summary>
internal sealed class ResourceFailureLog(
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    ILogger<ResourceFailureLog> logger) : BackgroundService
{
    /// <summary>The words scripts/run.sh looks for.</summary>
    public const string Marker = "Messenger resource failed";

    private const int LinesShown = 30;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reported = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                var state = change.Snapshot.State?.Text;
                var failed = state == KnownResourceStates.FailedToStart
                    || (state is not null && KnownResourceStates.TerminalStates.Contains(state) && change.Snapshot.ExitCode is not (null or 0));
                if (failed && reported.Add(change.ResourceId))
                {
                    var lastLines = await LastLinesAsync(change.Resource, stoppingToken);
                    logger.LogError("{Marker}: {Resource} {State} (exit code {ExitCode}). Its last lines:{NewLine}{Lines}",
                        Marker, change.ResourceId, state, change.Snapshot.ExitCode, Environment.NewLine, lastLines);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The app host is stopping; resources stopping now are not failures.
        }
    }

    private async Task<string> LastLinesAsync(IResource resource, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var batch in resourceLogs.GetAllAsync(resource).WithCancellation(timeout.Token))
            {
                lines.AddRange(batch.Select(line => "    " + line.Content));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // What arrived in time is enough to explain the failure.
        }

        return string.Join(Environment.NewLine, lines.TakeLast(LinesShown));
    }
}
