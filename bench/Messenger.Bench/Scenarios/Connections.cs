using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;
using Messenger.Bench.Reporting;
using static Messenger.Bench.Reporting.Format;

namespace Messenger.Bench.Scenarios;

/// <summary>
/// connections: K authenticated idle WebSockets opened at a steady rate and held; server memory per
/// connection (RSS growth over the ramp ÷ K) and heartbeat latency while holding — for the messenger
/// and, with the same generator, the bare Kestrel relay and the Socket.IO 4 relay.
/// </summary>
internal static class Connections
{
    private const int TargetConnections = 100_000;
    private const double TargetKb = 25;

    public static async Task RunAsync(BenchContext context)
    {
        var o = context.Options;
        var connections = o.Int("connections", TargetConnections, 10_000);
        var referenceConnections = o.Int("reference-connections", 10_000, 5_000);
        var limit = context.Machine.OpenFilesLimit;
        var perProcess = o.Int("per-process", Math.Min(16_000, Math.Max(1_000, limit - 2_500)), Math.Min(16_000, Math.Max(1_000, limit - 2_500)));
        perProcess -= perProcess % 2;
        var rate = o.Double("ramp", 2_000, 2_000);
        var holdSeconds = o.Double("hold-seconds", 40, 20);
        var users = o.Int("users", 2_000, 500);
        var systems = o.Text("systems", "messenger,kestrel,socketio").Split(',', StringSplitOptions.TrimEntries);
        var report = context.NewReport($"Idle connections: {connections:N0} authenticated WebSockets");
        await using var sampler = new ProcessSampler();
        var runs = new List<HoldResult>();

        if (systems.Contains("kestrel") || systems.Contains("socketio"))
        {
            foreach (var protocol in new[] { Protocol.KestrelRelay, Protocol.SocketIo }.Where(p => systems.Contains(p == Protocol.KestrelRelay ? "kestrel" : "socketio")))
            {
                var name = protocol == Protocol.KestrelRelay ? "Kestrel relay" : "Socket.IO 4 relay";
                await using var relay = await Relays.StartAsync(protocol, context.LogDirectory);
                if (relay is null)
                {
                    runs.Add(new HoldResult(name, 0, 0, [], [], 0, 0, [], Relays.Unavailable(protocol)));
                    continue;
                }

                sampler.Watch(relay.Name, relay.Pid);
                var count = Math.Min(referenceConnections, perProcess);
                runs.Add(await HoldAsync(context, name, protocol, [relay], null, count, perProcess, rate, holdSeconds, sampler, [relay.Name], null));
                sampler.Forget(relay.Name);
            }
        }

        if (systems.Contains("messenger"))
        {
            var instances = (int)Math.Ceiling(connections / (double)perProcess);
            var spec = context.Spec(new SystemSpec { Durable = context.Durable, ChatInstances = instances });
            report.Setup.Add(spec.DescribeDurability() + ".");
            BenchContext.Say($"Starting PostgreSQL, Redis, Auth and {instances} Chat instance(s)");
            await using var system = await MessengerSystem.StartAsync(spec, sampler, context.LogDirectory);
            BenchContext.Say($"Registering {users:N0} users");
            var accounts = await MessengerClient.RegisterManyAsync(system.Auth.BaseAddress, Math.Min(users, connections), "idle", parallel: 8);
            var tokens = Path.Combine(context.LogDirectory, "tokens.txt");
            await File.WriteAllLinesAsync(tokens, accounts.Select(a => a.AccessToken));
            await Task.Delay(2_000);
            runs.Add(await HoldAsync(context, "Messenger", Protocol.Messenger, system.Chats, tokens, connections, perProcess, rate, holdSeconds, sampler,
                [.. system.Chats.Select(c => c.Name)], "redis"));
        }

        Write(report, runs, connections, perProcess, rate, holdSeconds, users, limit);
        await report.WriteAsync();
    }

    private static async Task<HoldResult> HoldAsync(BenchContext context, string name, Protocol protocol, IReadOnlyList<ServiceProcess> servers, string? tokens, int connections,
        int perProcess, double rate, double holdSeconds, ProcessSampler sampler, string[] serverNames, string? alsoCounted)
    {
        var workerCount = (int)Math.Ceiling(connections / (double)perProcess);
        BenchContext.Say($"{name}: {connections:N0} sockets over {workerCount} generator process(es), {rate:N0}/s");
        var before = serverNames.Sum(sampler.MemoryMiB);
        var heapBefore = await ManagedHeapMiBAsync(servers[0], context);
        var alsoBefore = alsoCounted is null ? 0 : sampler.MemoryMiB(alsoCounted);
        var workers = new List<Worker>();
        var remaining = connections;
        for (var w = 0; w < workerCount; w++)
        {
            var count = Math.Min(perProcess, remaining);
            remaining -= count;
            var server = servers[w % servers.Count];
            // One source address per generator process: ~28k ephemeral ports each, and each process stays under its open-file limit.
            var source = $"127.10.{w / 250}.{(w % 250) + 1}";
            workers.Add(Worker.Start($"generator-{w + 1}", protocol, $"127.0.0.1:{server.Port}", tokens, w * perProcess, count, source, rate / workerCount));
            sampler.Watch($"generator-{w + 1}", workers[^1].Pid);
        }

        var ramp = new List<(double Seconds, int Open, double ServerMiB)>();
        var watch = Stopwatch.StartNew();
        while (!workers.All(w => w.Ready) && watch.Elapsed < TimeSpan.FromMinutes(30))
        {
            await Task.Delay(1_000);
            ramp.Add((watch.Elapsed.TotalSeconds, workers.Sum(w => w.Opened), serverNames.Sum(sampler.MemoryMiB) - before));
            if (ramp.Count % 10 == 0)
            {
                BenchContext.Say($"{name}: {ramp[^1].Open:N0} open, server memory +{ramp[^1].ServerMiB:N0} MiB");
            }
        }

        var rampSeconds = watch.Elapsed.TotalSeconds;
        var opened = workers.Sum(w => w.Opened);
        var failed = workers.Sum(w => w.Failed);
        BenchContext.Say($"{name}: {opened:N0} open, {failed:N0} failed{(workers.FirstOrDefault(w => w.FirstFailure is not null)?.FirstFailure is { } f ? " (" + f + ")" : "")}; holding {holdSeconds:0} s");
        await Task.Delay(5_000);
        var window = sampler.Begin();
        var heartbeats = new List<double>();
        var lostBeats = 0;
        var hold = Stopwatch.StartNew();
        while (hold.Elapsed.TotalSeconds < holdSeconds)
        {
            var rounds = await Task.WhenAll(workers.Select(w => w.HeartbeatAsync(Math.Max(10, 200 / workers.Count))));
            foreach (var value in rounds.SelectMany(r => r))
            {
                if (double.IsNaN(value))
                {
                    lostBeats++;
                }
                else
                {
                    heartbeats.Add(value);
                }
            }

            await Task.Delay(2_000);
        }

        var use = window.End();
        var memory = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            memory.Add(serverNames.Sum(sampler.MemoryMiB));
            await Task.Delay(500);
        }

        var after = memory.Average();
        var heapAfter = await ManagedHeapMiBAsync(servers[0], context);
        var (heapObjects, heapProblem) = servers[0].Name.StartsWith("socketio", StringComparison.Ordinal)
            ? (null, "not a .NET process")
            : await Profiler.HeapObjectsAsync(servers[0].Pid);
        var alsoAfter = alsoCounted is null ? 0 : sampler.MemoryMiB(alsoCounted);
        var stillOpen = workers.Sum(w => w.Opened);
        foreach (var worker in workers)
        {
            sampler.Forget(worker.Name);
            await worker.DisposeAsync();
        }

        var perConnectionKb = (after - before) * 1024 / Math.Max(1, opened);
        BenchContext.Say($"{name}: {perConnectionKb:0.0} KB per connection; heartbeat p50 {Percentiles.Of([.. heartbeats]).P50:0.0} ms");
        return new HoldResult(name, connections, opened, ramp, heartbeats, before, after, use)
        {
            Failed = failed,
            LostHeartbeats = lostBeats,
            RampSeconds = rampSeconds,
            Workers = workerCount,
            Servers = serverNames.Length,
            AlsoCountedName = alsoCounted,
            AlsoCountedDeltaMiB = alsoAfter - alsoBefore,
            FirstFailure = workers.FirstOrDefault(w => w.FirstFailure is not null)?.FirstFailure,
            ManagedHeapDeltaMiB = heapAfter - heapBefore,
            HeapObjects = heapObjects,
            HeapProblem = heapProblem,
            FirstServerShare = workers.Where((_, w) => w % servers.Count == 0).Sum(w => w.Opened),
        };
    }

    /// <summary>The GC heap of a .NET server (dotnet-counters), to split its RSS into managed objects and the rest; NaN for node.</summary>
    private static async Task<double> ManagedHeapMiBAsync(ServiceProcess server, BenchContext context)
    {
        if (server.Name.StartsWith("socketio", StringComparison.Ordinal))
        {
            return double.NaN;
        }

        var (means, _) = await Profiler.CountersAsync(server.Pid, TimeSpan.FromSeconds(3), Path.Combine(context.LogDirectory, $"heap-{server.Name}-{Guid.NewGuid():N}.json"),
            "System.Runtime[dotnet.gc.last_collection.heap.size]");
        var heap = means.Where(m => m.Key.Contains("heap.size", StringComparison.Ordinal)).Sum(m => m.Value);
        return heap == 0 ? double.NaN : heap / 1024 / 1024;
    }

    private static void Write(Report report, List<HoldResult> runs, int connections, int perProcess, double rate, double holdSeconds, int users, int limit)
    {
        report.Setup.Add($"**Sockets**: opened at {rate:N0}/s in all, spread over generator processes of at most {perProcess:N0} sockets each, each process bound to its " +
            $"own source address (127.10.x.y): this machine allows {limit:N0} open files per process (the hard limit; the container may not raise it), and one " +
            "source address has ~28,000 ephemeral ports. The messenger's sockets are spread over as many Chat instances as that limit needs (each holds at most " +
            $"{perProcess:N0}); they share Redis for routing and presence as in the scale-out design. Messenger sockets authenticate with access tokens of " +
            $"{users:N0} registered users (several devices each).");
        report.Setup.Add($"**Memory per connection** = growth of the servers' RSS from before the first socket to the end of the hold, divided by the sockets " +
            $"opened. **Heartbeat** = a `ping` frame → `pong` on a sample of the held sockets every 2 s for {holdSeconds:0} s (relays: a frame to the paired " +
            "socket, which they relay).");
        var messenger = runs.FirstOrDefault(r => r.Name == "Messenger");
        if (messenger is not null)
        {
            var kb = messenger.PerConnectionKb;
            report.Targets.Add(new TargetResult($"{TargetConnections:N0} idle authenticated WebSockets held", $"{messenger.Opened:N0} held", messenger.Opened / (double)TargetConnections,
                messenger.Opened >= TargetConnections && messenger.Failed == 0, messenger.Opened < TargetConnections ? $"{messenger.Requested:N0} asked for" : null));
            report.Targets.Add(new TargetResult($"≤ {TargetKb:0} KB of server memory per connection", $"{Kib(kb)} (Chat); {Kib(kb + (messenger.AlsoCountedDeltaMiB * 1024 / Math.Max(1, messenger.Opened)))} with Redis",
                TargetKb / kb, kb <= TargetKb, "ratio = 25 KB / measured"));
            report.Json["headline"] = $"{messenger.Opened:N0} sockets, {kb:0.0} KB each (Chat), heartbeat p99 {Ms(Percentiles.Of([.. messenger.Heartbeats]).P99)} ms";
        }

        report.Heading("Summary");
        report.Table(["system", "asked", "held", "failed", "server processes", "generator processes", "ramp time", "server RSS before", "after", "per connection",
            "of which GC heap", "heartbeat p50", "p99", "max", "lost heartbeats", "CPU while holding (servers)"],
            runs.Select(r => r.Problem is not null
                ? (IReadOnlyList<string>)[r.Name, "—", "not measured: " + r.Problem, "", "", "", "", "", "", "", "", "", "", "", "", ""]
                : [r.Name, N(r.Requested), N(r.Opened), N(r.Failed), N(r.Servers), N(r.Workers), $"{r.RampSeconds:0} s", Mib(r.Before), Mib(r.After), Kib(r.PerConnectionKb),
                    double.IsNaN(r.ManagedKbPerConnection) ? "—" : Kib(r.ManagedKbPerConnection),
                    Ms(Percentiles.Of([.. r.Heartbeats]).P50) + " ms", Ms(Percentiles.Of([.. r.Heartbeats]).P99) + " ms", Ms(Percentiles.Of([.. r.Heartbeats]).Max) + " ms",
                    N(r.LostHeartbeats), Pct(r.HoldUse.Where(u => !u.Name.StartsWith("generator", StringComparison.Ordinal) && u.Name is not "postgres" and not "auth").Sum(u => u.CpuPercent))]), "l");
        report.Paragraph("*of which GC heap*: growth of the first server process's managed heap (as of its last garbage collection, read with dotnet-counters) " +
            "per socket it holds; the rest of the growth is native memory (socket buffers, thread stacks, the allocator's free lists) and heap not yet collected.");
        if (messenger is { AlsoCountedName: not null })
        {
            report.Paragraph($"Redis grew by {Mib(messenger.AlsoCountedDeltaMiB)} over the messenger's run ({Kib(messenger.AlsoCountedDeltaMiB * 1024 / Math.Max(1, messenger.Opened))} per socket: " +
                "presence counters and per-user route sets).");
        }

        if (messenger is not null && messenger.FirstFailure is not null)
        {
            report.Paragraph($"First connection failure: `{messenger.FirstFailure}`.");
        }

        foreach (var run in runs.Where(r => r.Problem is null && r.Name != "Socket.IO 4 relay" && (r.HeapObjects is not null || r.HeapProblem is not null)))
        {
            report.Subheading($"{run.Name}: what each held socket keeps alive (first server process, {N(run.FirstServerShare)} sockets)");
            if (run.HeapObjects is not { } objects)
            {
                report.Paragraph($"No heap dump: {run.HeapProblem}");
                continue;
            }

            report.Paragraph("Live objects per held socket by type, from `dotnet-gcdump` after a full collection while holding: every type of which the " +
                "server keeps at least one object per socket. Counts, not sizes (the tool's byte column is sampled on a large heap).");
            var share = Math.Max(1, run.FirstServerShare);
            report.Table(["type", "objects", "per socket"],
                objects.Where(o => o.Count >= share).Take(40).Select(o => (IReadOnlyList<string>)[$"`{o.Type}`", N(o.Count), $"{(double)o.Count / share:0.0}"]));
        }

        Charts.Lines(report, "memory-ramp.png", "Server memory growth while sockets open", "open sockets", "MiB over the idle server",
            runs.Where(r => r.Ramp.Count > 0).Select(r => new Charts.Series(r.Name, [.. r.Ramp.Select(p => (double)p.Open)], [.. r.Ramp.Select(p => p.ServerMiB)])));
        Charts.Bars(report, "memory-per-connection.png", "Server memory per idle connection", "KB", [.. runs.Where(r => r.Problem is null).Select(r => (r.Name, r.PerConnectionKb))]);
        report.Image("memory-ramp.png", "RSS growth against open sockets").Image("memory-per-connection.png", "KB per connection per system");
        report.Json["runs"] = JsonSerializer.SerializeToNode(runs.Select(r => new
        {
            r.Name, r.Requested, r.Opened, r.Failed, r.Problem, r.Before, r.After, r.PerConnectionKb, Heartbeat = Percentiles.Of([.. r.Heartbeats]), r.LostHeartbeats, r.RampSeconds,
            r.Workers, r.Servers, r.HoldUse, Ramp = r.Ramp.Select(p => new { p.Seconds, p.Open, p.ServerMiB }), r.AlsoCountedDeltaMiB,
        }), Report.JsonOptions);
        _ = connections;
    }

    private sealed record HoldResult(string Name, int Requested, int Opened, List<(double Seconds, int Open, double ServerMiB)> Ramp, List<double> Heartbeats,
        double Before, double After, IReadOnlyList<ProcessUse> HoldUse, string? Problem = null)
    {
        public int Failed { get; init; }

        public int LostHeartbeats { get; init; }

        public double RampSeconds { get; init; }

        public int Workers { get; init; }

        public int Servers { get; init; }

        public string? AlsoCountedName { get; init; }

        public double AlsoCountedDeltaMiB { get; init; }

        public string? FirstFailure { get; init; }

        public double PerConnectionKb => (After - Before) * 1024 / Math.Max(1, Opened);

        /// <summary>Growth of the first server's GC heap (after its last collection) over the run.</summary>
        public double ManagedHeapDeltaMiB { get; init; } = double.NaN;

        /// <summary>Sockets held by the first server (the one whose heap was read).</summary>
        public int FirstServerShare { get; init; }

        /// <summary>The first server's live objects by type at the end of the hold (dotnet-gcdump), most numerous first.</summary>
        public IReadOnlyList<(string Type, long Count)>? HeapObjects { get; init; }

        /// <summary>Why there is no heap dump, if there is none.</summary>
        public string? HeapProblem { get; init; }

        public double ManagedKbPerConnection => ManagedHeapDeltaMiB * 1024 / Math.Max(1, FirstServerShare);
    }

    /// <summary>A child generator process (<see cref="ConnectionsWorker"/>), talked to over its standard streams.</summary>
    private sealed class Worker : IAsyncDisposable
    {
        private readonly Process process;
        private readonly Lock gate = new();
        private TaskCompletionSource<string>? heartbeat;

        private Worker(Process process, string name)
        {
            this.process = process;
            Name = name;
            process.OutputDataReceived += (_, e) => OnLine(e.Data);
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine($"[{name}] {e.Data}");
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Name { get; }

        public int Pid => process.Id;

        public int Opened { get; private set; }

        public int Failed { get; private set; }

        public bool Ready { get; private set; }

        public string? FirstFailure { get; private set; }

        public static Worker Start(string name, Protocol protocol, string target, string? tokens, int first, int count, string source, double rate)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[]
            {
                typeof(Worker).Assembly.Location, "connections-worker", "--protocol", protocol.ToString(), "--target", target, "--tokens", tokens ?? "",
                "--first", first.ToString(CultureInfo.InvariantCulture), "--count", count.ToString(CultureInfo.InvariantCulture), "--source", source,
                "--rate", rate.ToString(CultureInfo.InvariantCulture),
            })
            {
                start.ArgumentList.Add(argument);
            }

            // Small heaps: the generator's own memory is not what is measured, but it shares the machine.
            start.Environment["DOTNET_gcServer"] = "0";
            return new Worker(Process.Start(start)!, name);
        }

        public async Task<double[]> HeartbeatAsync(int samples)
        {
            var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (gate)
            {
                heartbeat = done;
            }

            await process.StandardInput.WriteLineAsync($"hb {samples}");
            await process.StandardInput.FlushAsync();
            var line = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return [.. line.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => v == "x" ? double.NaN : double.Parse(v, CultureInfo.InvariantCulture))];
        }

        private void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            var parts = line.Split(' ');
            if (parts[0] is "opened" or "ready" && parts.Length >= 4)
            {
                Opened = int.Parse(parts[1], CultureInfo.InvariantCulture);
                Failed = int.Parse(parts[3], CultureInfo.InvariantCulture);
                if (parts[0] == "ready")
                {
                    var at = line.IndexOf(" first-failure ", StringComparison.Ordinal);
                    FirstFailure = at < 0 ? null : line[(at + 15)..];
                    Ready = true;
                }
            }
            else if (parts[0] == "hb")
            {
                lock (gate)
                {
                    heartbeat?.TrySetResult(parts.Length > 1 ? parts[1] : "");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await process.StandardInput.WriteLineAsync("stop");
                await process.StandardInput.FlushAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }
    }
}
