using System.Diagnostics;
using System.Globalization;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;

namespace Messenger.ReliabilityTests.Infrastructure;

/// <summary>
/// One fault scenario: clients that reconnect and resync like the web client send at a steady rate;
/// the fault happens while they send; they go on sending for a while after it; then the run settles
/// (every message acked, every member caught up) and is audited against the history over HTTP and the
/// recipients' notifications. The counts go to the test output and to TestResults/reliability.md.
/// </summary>
internal static class FaultRun
{
    /// <summary>
    /// Messages a second over all clients: 5 a second each, well under Chat's 10 a second per
    /// connection. Every message becomes a notification, and Notification stores them one transaction
    /// each (a few hundred a second on two busy cores), so a higher rate mostly adds waiting for it.
    /// </summary>
    public const double Rate = 500;

    private static readonly TimeSpan Before = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan After = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan NotificationWait = TimeSpan.FromSeconds(90);
    private static readonly Lock ReportGate = new();
    private static bool reportStarted;

    public static async Task<DeliveryCounts> RunAsync(FaultSystem system, string name, Func<Task> fault, ITestOutputHelper output)
    {
        var clock = Stopwatch.StartNew();
        Log(output, clock, $"{name}: the system started in {system.StartedIn.TotalSeconds:0} s, {FaultSystem.Users} users registered in {system.RegisteredIn.TotalSeconds:0} s");
        await using var traffic = await ResumingTraffic.OpenAsync(system.System.Auth.BaseAddress, system.ChatEndpoints, system.Accounts);
        traffic.StartSending(Rate);
        await Task.Delay(Before);
        Log(output, clock, $"{name}: fault begins at {traffic.SecondsAt(Stopwatch.GetTimestamp()):0.00} s of sending, after {traffic.Ledger.Created} messages, {traffic.Ledger.Acked} acked");
        await fault();
        Log(output, clock, $"{name}: fault over at {traffic.SecondsAt(Stopwatch.GetTimestamp()):0.00} s of sending; {traffic.Ledger.Created} messages, {traffic.Ledger.Acked} acked, {traffic.Clients.Count(c => !c.IsOpen)} sockets down");
        await Task.Delay(After);
        await traffic.StopSendingAsync();
        var settled = await traffic.SettleAsync(Settle);
        Log(output, clock, $"{name}: {(settled ? "settled" : "did not settle")}: {traffic.Unacked} unacked, {traffic.Behind()} members behind");
        var counts = await DeliveryAudit.RunAsync(name, traffic, system.ChatEndpoints[0], system.System.Notifications[0].BaseAddress, NotificationWait);
        Log(output, clock, $"{name}: audited");
        foreach (var problem in counts.Problems)
        {
            output.WriteLine(problem);
        }

        output.WriteLine(DeliveryCounts.TableHeader);
        output.WriteLine(counts.TableLine);
        Record(counts, clock.Elapsed);
        return counts;
    }

    /// <summary>What every scenario must show: nothing acked lost or doubled, history exact, every notification counted once.</summary>
    public static void AssertExact(DeliveryCounts counts)
    {
        Assert.True(counts.Acked > 0, "Nothing was acked: the load did not run.");
        Assert.Equal(0, counts.Lost);
        Assert.Equal(0, counts.Duplicated);
        Assert.Equal(0, counts.Unacked);
        Assert.Equal(0, counts.Refused);
        Assert.Equal(0, counts.HistoryGaps);
        Assert.Equal(0, counts.HistoryOutOfOrder);
        Assert.Equal(counts.ExpectedDeliveries, counts.Delivered);
        Assert.Equal(counts.NotificationsExpected, counts.NotificationsCounted);
        Assert.Equal(0, counts.NotificationsLost);
        Assert.Equal(0, counts.NotificationsDuplicated);
    }

    private static void Log(ITestOutputHelper output, Stopwatch clock, string text) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,6:0.0} s, {DateTime.Now:HH:mm:ss.fff}] {text}"));

    /// <summary>Appends the scenario's line to TestResults/reliability.md (a new table per test run).</summary>
    private static void Record(DeliveryCounts counts, TimeSpan elapsed)
    {
        var path = Path.Combine(Repository.Root, "TestResults", "reliability.md");
        lock (ReportGate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (!reportStarted)
            {
                reportStarted = true;
                File.AppendAllText(path, string.Create(CultureInfo.InvariantCulture,
                    $"\n## Fault scenarios, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC ({FaultSystem.Users} clients, {Rate:0} msg/s; scenario time in brackets)\n\n{DeliveryCounts.TableHeader}\n"));
            }

            var line = counts with { Name = string.Create(CultureInfo.InvariantCulture, $"{counts.Name} ({elapsed.TotalSeconds:0} s)") };
            File.AppendAllText(path, line.TableLine + "\n");
        }
    }
}
