using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messenger.AppHost;

/// <summary>
/// Stops the services quickly when the app host stops. The orchestrator ends a project by sending
/// SIGINT to its <c>dotnet run</c> process, which leaves the interrupt to the terminal and does
/// not pass it on, so the service keeps running until the orchestrator gives up and kills both
/// (about 10 s). <c>dotnet run</c> does forward SIGTERM: sending that first lets every service
/// shut down gracefully in well under a second.
/// </summary>
internal sealed class ServiceShutdown(ResourceNotificationService notifications, ILogger<ServiceShutdown> logger) : BackgroundService
{
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, int> runningServices = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                if (change.Resource is not ProjectResource)
                {
                    continue;
                }

                var pid = change.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value;
                if (change.Snapshot.State?.Text == KnownResourceStates.Running
                    && int.TryParse(Convert.ToString(pid, CultureInfo.InvariantCulture), out var processId))
                {
                    runningServices[change.ResourceId] = processId;
                }
                else
                {
                    runningServices.TryRemove(change.ResourceId, out _);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The app host is stopping.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var processIds = runningServices.Values.ToList();
        foreach (var processId in processIds)
        {
            await SignalAsync(processId, cancellationToken);
        }

        var deadline = DateTime.UtcNow + GracePeriod;
        while (processIds.Any(IsAlive) && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
        }
    }

    private async Task SignalAsync(int processId, CancellationToken cancellationToken)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", processId.ToString(CultureInfo.InvariantCulture)])
            {
                UseShellExecute = false,
                RedirectStandardError = true,
            });
            if (kill is not null)
            {
                await kill.WaitForExitAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or OperationCanceledException)
        {
            logger.LogDebug(e, "Could not send SIGTERM to process {ProcessId}; the orchestrator stops it instead.", processId);
        }
    }

    // A process that has exited stays a zombie until the orchestrator reaps it: state 'Z' in /proc/<pid>/stat.
    private static bool IsAlive(int processId)
    {
        try
        {
            var stat = File.ReadAllText("/proc/" + processId.ToString(CultureInfo.InvariantCulture) + "/stat");
            var afterName = stat.LastIndexOf(')');
            return afterName >= 0 && afterName + 2 < stat.Length && stat[afterName + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
