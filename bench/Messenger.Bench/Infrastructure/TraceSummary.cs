using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;

namespace Messenger.Bench.Infrastructure;

/// <summary>
/// Reads a dotnet-trace sampled-thread-time trace and keeps the samples of threads that were working:
/// running managed code, or in native code (system calls, GC) under a frame that is not a wait. Idle
/// thread-pool threads, timers and the epoll loop are left out, so what remains approximates where the
/// process spent its CPU.
/// </summary>
internal static class TraceSummary
{
    private static readonly string[] WaitFrames =
    [
        "LowLevelLifoSemaphore.Wait", "WaitHandle.Wait", "Monitor.Wait", "ManualResetEventSlim.Wait", "SocketAsyncEngine.EventLoop",
        "Thread.Sleep", "TimerQueue.TimerThread", "WaitSubsystem", "FileSystemWatcher", "SpinThenBlockingWait", "LowLevelMonitor.Wait",
        "Interop+Sys.WaitForSocketEvents", "GateThread", "Heartbeat.TimerLoop", "CounterGroup.PollForValues", "CollectWorker",
        "Task.InternalWait", "BlockingCollection", "Console", "Sys.Read(",
    ];

    private static readonly (string Prefix, string Area)[] Areas =
    [
        // Native time under these frames is the thread pool and the GC rather than the code that ran there.
        // A worker between work items is spinning or blocked (its wait frame is inlined): not necessarily CPU.
        ("System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart", "thread pool: workers between work items (spinning or blocked)"),
        ("System.Threading.PortableThreadPool+WorkerThread.MaybeAddWorkingWorker", "thread pool: waking sleeping workers"),
        ("System.Threading.Semaphore.Release", "thread pool: waking sleeping workers"),
        ("System.Threading.LowLevelLifoSemaphore", "thread pool: waking sleeping workers"),
        ("System.Threading.Thread.<PollGC>", "garbage collection (threads paused)"),
        ("System.Threading.Monitor", "lock contention (Monitor)"),
        ("System.Net.WebSockets", "WebSocket framing"),
        ("Microsoft.AspNetCore.Server.Kestrel", "Kestrel (HTTP/1.1, pipes)"),
        ("System.IO.Pipelines", "Kestrel (HTTP/1.1, pipes)"),
        ("System.Net.Sockets", "socket system calls"),
        ("Npgsql", "Npgsql (PostgreSQL client)"),
        ("StackExchange.Redis", "StackExchange.Redis"),
        ("System.Text.Json", "System.Text.Json"),
        ("Chat.Api", "Chat's own code"),
        ("Messenger.", "Messenger shared code (event bus, defaults)"),
        ("System.Threading", "threads, tasks, channels"),
        ("System.Runtime.CompilerServices", "threads, tasks, channels"),
        ("Microsoft.Extensions", "DI, logging, options"),
        ("System.Collections", "collections"),
        ("System.Diagnostics", "diagnostics (activities, meters)"),
    ];

    public sealed record Summary(int Samples, int BusySamples, List<(string Method, double Share)> Exclusive, List<(string Method, double Share)> Inclusive, List<(string Area, double Share)> Areas);

    public static Summary Read(string nettrace)
    {
        var etlx = TraceLog.CreateFromEventPipeDataFile(nettrace);
        using var log = new TraceLog(etlx);
        var exclusive = new Dictionary<string, int>();
        var inclusive = new Dictionary<string, int>();
        var areas = new Dictionary<string, int>();
        int samples = 0, busy = 0;
        foreach (var e in log.Events)
        {
            if (e.ProviderName != "Microsoft-DotNETCore-SampleProfiler")
            {
                continue;
            }

            var stack = e.CallStack();
            if (stack is null)
            {
                continue;
            }

            samples++;
            var frames = new List<string>();
            for (var frame = stack; frame is not null; frame = frame.Caller)
            {
                var name = frame.CodeAddress.FullMethodName;
                if (!string.IsNullOrEmpty(name))
                {
                    frames.Add(name);
                }
            }

            if (frames.Count == 0 || frames.Any(f => WaitFrames.Any(w => f.Contains(w, StringComparison.Ordinal))))
            {
                continue;
            }

            busy++;
            var managed = e.PayloadByName("Type") is int type ? type == 2 : true;
            var leaf = managed ? frames[0] : "[native, under] " + frames[0];
            exclusive[leaf] = exclusive.GetValueOrDefault(leaf) + 1;
            foreach (var name in frames.Distinct())
            {
                inclusive[name] = inclusive.GetValueOrDefault(name) + 1;
            }

            var area = Areas.FirstOrDefault(a => frames[0].StartsWith(a.Prefix, StringComparison.Ordinal)).Area ?? "other (runtime, BCL)";
            areas[area] = areas.GetValueOrDefault(area) + 1;
        }

        List<(string, double)> Top(Dictionary<string, int> counts, int n) =>
            [.. counts.OrderByDescending(c => c.Value).Take(n).Select(c => (Shorten(c.Key), busy == 0 ? 0 : (double)c.Value / busy))];

        try
        {
            File.Delete(etlx);
        }
        catch (IOException)
        {
        }

        return new Summary(samples, busy, Top(exclusive, 25), Top(inclusive, 40), Top(areas, 20));
    }

    private static string Shorten(string method)
    {
        var paren = method.IndexOf('(', StringComparison.Ordinal);
        var name = paren > 0 ? method[..paren] : method;
        return name.Length > 110 ? name[..110] + "…" : name;
    }
}
