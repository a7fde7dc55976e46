using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;
using Messenger.Bench.Reporting;
using static Messenger.Bench.Reporting.Format;

namespace Messenger.Bench.Scenarios;

/// <summary>
/// chat-throughput: people in 1:1 conversations, each sending at a fixed rate, the offered rate
/// stepped up until p99 or errors break — on the messenger and, driven by the same generator with the
/// same frames and pairing, on a bare Kestrel relay and a Socket.IO 4 relay.
/// </summary>
internal static class ChatThroughput
{
    private const double TargetRate = 60_000;
    private const double TargetLatencyRate = 30_000;

    public static async Task RunAsync(BenchContext context)
    {
        var o = context.Options;
        var pairs = o.Int("pairs", 100, 100);
        var stepSeconds = o.Double("step-seconds", 10, 4);
        var p99Bound = o.Double("p99-ms", 50, 50);
        var rates = o.Ints("rates",
            [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 100_000, 110_000, 120_000, 130_000, 140_000, 150_000, 160_000, 180_000],
            [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 40_000, 60_000, 80_000, 100_000, 120_000, 140_000]);
        var gatewayRates = o.Ints("gateway-rates", [1_000, 5_000, 10_000, 30_000], [1_000, 10_000]);
        var systems = o.Text("systems", "kestrel,socketio,messenger,gateway").Split(',', StringSplitOptions.TrimEntries);
        var profile = o.Flag("profile", true);
        var duration = TimeSpan.FromSeconds(stepSeconds);
        var drain = TimeSpan.FromSeconds(o.Double("drain-seconds", 10, 5));

        // A 3 s warm-up left the first measured step in the messenger's cold start (JIT tiering, connection pools, PostgreSQL's caches):
        // 1,000 msg/s then had a p99 of 142–500 ms against 20–33 ms in the steps after it, and the ramp stopped there.
        var warmUp = TimeSpan.FromSeconds(o.Double("warmup-seconds", 15, 3));

        var report = context.NewReport("Chat throughput: the messenger against a bare Kestrel relay and Socket.IO 4");
        await using var sampler = new ProcessSampler();
        sampler.Watch("generator", Environment.ProcessId);
        var runs = new List<SystemRun>();

        Ramp? Ramp(string name, TrafficTarget target, IReadOnlyList<int> stepRates, Func<Task<DatabaseCounters>>? counters = null) =>
            new(name, target, stepRates, warmUp, duration, drain, p99Bound, sampler, counters);

        if (systems.Contains("kestrel"))
        {
            runs.Add(await RelayAsync(context, "Kestrel relay", Protocol.KestrelRelay, pairs, sampler, (name, target) => Ramp(name, target, rates)!));
        }

        if (systems.Contains("socketio"))
        {
            runs.Add(await RelayAsync(context, "Socket.IO 4 relay", Protocol.SocketIo, pairs, sampler, (name, target) => Ramp(name, target, rates)!));
        }

        ProfileResult? profiled = null;
        if (systems.Contains("messenger") || systems.Contains("gateway"))
        {
            var spec = context.Spec(new SystemSpec { Durable = context.Durable, ChatInstances = 1, Gateway = systems.Contains("gateway") })
                .With("chat", "Chat:RateLimit:Burst", "1000000")
                .With("chat", "Chat:RateLimit:PerSecond", "1000000")
                .With("gateway", "Gateway:RateLimits:Enabled", "false");
            report.Setup.Add(spec.DescribeDurability() + $"; PostgreSQL settings {string.Join(", ", SystemSpec.PostgresSettings.Select(s => $"`{s.Key}={s.Value}`"))}.");
            report.Setup.Add("**Messenger**: Auth and Chat (and the gateway for its run) as separate processes, Release builds, Production environment, " +
                "single-node profile (PostgreSQL message store, outbox relayed to Redis Streams; Redis with its append-only file fsynced every second). " +
                "Chat's per-connection token bucket is raised (`Chat:RateLimit:Burst`/`PerSecond` = 1,000,000) and the gateway's per-client limits are " +
                "off (`Gateway:RateLimits:Enabled=false`), through configuration only.");
            BenchContext.Say("Starting PostgreSQL, Redis, Auth and Chat" + (spec.Gateway ? " and the gateway" : ""));
            await using var system = await MessengerSystem.StartAsync(spec, sampler, context.LogDirectory);
            var users = await MessengerClient.RegisterManyAsync(system.Auth.BaseAddress, pairs * 2, "bench");
            var conversations = new Guid[pairs];
            await Parallel.ForEachAsync(Enumerable.Range(0, pairs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (p, _) =>
                conversations[p] = await MessengerClient.OpenDirectAsync(system.Chat.BaseAddress, users[2 * p], users[(2 * p) + 1].UserId));
            var chatDb = system.Databases["chat"];

            if (systems.Contains("messenger"))
            {
                var sockets = await ConnectMessengerAsync(system.Chat.BaseAddress, users);
                var target = new TrafficTarget("Messenger", Protocol.Messenger, sockets, conversations);
                var ramp = Ramp("Messenger", target, rates, () => DatabaseCounters.ReadAsync(system.Postgres.ConnectionString))!;
                runs.Add(await ramp.RunAsync());
                // The latency target is stated at 30,000 msg/s: measure that step even when the ramp broke below it.
                if (!runs[^1].Steps.Any(s => s.Offered == TargetLatencyRate) && runs[^1].Steps[^1].Errors == 0)
                {
                    var extra = await ramp.RunStepAsync(TargetLatencyRate, duration);
                    BenchContext.Say($"Messenger (after the break): {extra.Offered:N0}/s offered; deliver p99 {extra.Deliver.P99:0.0} ms; {extra.Errors} errors");
                    runs[^1].Steps.Add(extra);
                }
                if (profile)
                {
                    profiled = await ProfileAsync(context, report, system, ramp, runs[^1]);
                }

                await DisposeAllAsync(sockets);
            }

            if (systems.Contains("gateway") && system.Gateway is { } gateway)
            {
                var sockets = await ConnectMessengerAsync(gateway.BaseAddress, users);
                var target = new TrafficTarget("Messenger via gateway", Protocol.Messenger, sockets, conversations);
                runs.Add(await Ramp("Messenger via gateway", target, gatewayRates, () => DatabaseCounters.ReadAsync(system.Postgres.ConnectionString))!.RunAsync(stopAtFirstBreak: false));
                await DisposeAllAsync(sockets);
            }

            _ = chatDb;
        }

        Write(report, runs, profiled, pairs, warmUp.TotalSeconds, stepSeconds, p99Bound);
        await report.WriteAsync();
    }

    private static async Task<SystemRun> RelayAsync(BenchContext context, string name, Protocol protocol, int pairs, ProcessSampler sampler, Func<string, TrafficTarget, Ramp> ramp)
    {
        await using var relay = await Relays.StartAsync(protocol, context.LogDirectory);
        if (relay is null)
        {
            return new SystemRun(name, [], Relays.Unavailable(protocol));
        }

        sampler.Watch(relay.Name, relay.Pid);
        var sockets = await Relays.ConnectPairsAsync(relay, protocol, pairs);
        var conversations = Enumerable.Range(0, pairs).Select(_ => Guid.NewGuid()).ToArray();
        var run = await ramp(name, new TrafficTarget(name, protocol, sockets, conversations)).RunAsync();
        await DisposeAllAsync(sockets);
        sampler.Forget(relay.Name);
        return run;
    }

    internal static async Task<List<LoadSocket>> ConnectMessengerAsync(Uri service, Tokens[] users)
    {
        var sockets = new LoadSocket[users.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, users.Length), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            sockets[i] = await LoadSocket.ConnectAsync(MessengerClient.ChatSocketUri(service, users[i].AccessToken), Protocol.Messenger, i, cancellationToken: ct));
        await Task.Delay(500);
        return [.. sockets];
    }

    internal static async Task DisposeAllAsync(IEnumerable<LoadSocket> sockets)
    {
        foreach (var chunk in sockets.Chunk(256))
        {
            await Task.WhenAll(chunk.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    /// <summary>
    /// One more step at the saturation rate with dotnet-trace and dotnet-counters attached to Chat, then a
    /// moderate step with PostgreSQL's statement log on.
    /// </summary>
    private static async Task<ProfileResult> ProfileAsync(BenchContext context, Report report, MessengerSystem system, Ramp ramp, SystemRun run)
    {
        var broken = run.Steps.FirstOrDefault(s => !s.Holds(ramp.P99Bound));
        var rate = broken?.Offered ?? run.Steps[^1].Offered;
        var traceSeconds = TimeSpan.FromSeconds(8);
        BenchContext.Say($"Profiling Chat at {rate:N0} msg/s (dotnet-trace, dotnet-counters)");
        var tracePath = Path.Combine(report.RawFolder, "chat-saturation.nettrace");
        var countersPath = Path.Combine(report.RawFolder, "chat-saturation-counters.json");
        var profileDuration = TimeSpan.FromSeconds(Math.Max(ramp.Duration.TotalSeconds, traceSeconds.TotalSeconds + 4));
        var step = ramp.RunStepAsync(rate, profileDuration);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var trace = Profiler.TraceAsync(system.Chat.Pid, traceSeconds, tracePath);
        var counters = Profiler.CountersAsync(system.Chat.Pid, traceSeconds, countersPath,
            "System.Runtime,Messenger.Chat,Microsoft.AspNetCore.Hosting,Microsoft.AspNetCore.Server.Kestrel,Npgsql");
        var profiledStep = await step;
        var (tracePathDone, traceProblem) = await trace;
        _ = traceProblem;
        var (means, countersProblem) = await counters;
        TraceSummary.Summary? summary = null;
        if (tracePathDone is not null)
        {
            try
            {
                summary = TraceSummary.Read(tracePathDone);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or FormatException)
            {
                traceProblem = "the trace could not be read: " + e.Message;
            }
        }

        var best = run.Steps.TakeWhile(s => s.Holds(ramp.P99Bound)).LastOrDefault()?.Offered ?? 2_000;
        var statementRate = Math.Min(10_000, Math.Max(1_000, best / 2));
        BenchContext.Say($"Statement log at {statementRate:N0} msg/s");
        var statements = await DatabaseProfile.MeasureAsync(system.Postgres, () => ramp.RunStepAsync(statementRate, TimeSpan.FromSeconds(5)));
        return new ProfileResult(rate, profiledStep, summary, traceProblem, means, countersProblem, statementRate, statements);
    }

    private static void Write(Report report, List<SystemRun> runs, ProfileResult? profile, int pairs, double warmUpSeconds, double stepSeconds, double p99Bound)
    {
        var frameBytes = FrameTemplate.TypicalFrameBytes;
        report.Setup.Add($"**Traffic**: {pairs * 2} WebSockets in {pairs} pairs (one 1:1 conversation per pair); every socket sends its share of the offered " +
            $"rate into its conversation, paced, staggered; the frame is a messenger `send` frame of {frameBytes} bytes (text \"{FrameTemplate.Text}\"), " +
            "the same bytes for every system (Socket.IO carries it as the argument of a `msg` event). Each step lasts " +
            $"{stepSeconds:0.#} s after a warm-up of {warmUpSeconds:0.#} s at the first rate (at most 5,000 msg/s); the ramp stops at the first step that breaks.");
        report.Setup.Add($"**A step holds** when every message was delivered exactly once, in order, with no seq gap (messenger: acked once with the seq " +
            $"the peer got, seqs per conversation contiguous across steps), send→deliver p99 ≤ {p99Bound:0} ms, and the generator sent ≥ 95 % of the offered rate. " +
            "Latencies are from the moment the generator hands the frame to its socket (not the scheduled time): *ack* = send → `ack` on the sending socket " +
            "(messenger only: after the commit), *deliver* = send → the frame on the peer's socket.");

        var kestrel = runs.FirstOrDefault(r => r.Name == "Kestrel relay");
        var socketIo = runs.FirstOrDefault(r => r.Name == "Socket.IO 4 relay");
        var messenger = runs.FirstOrDefault(r => r.Name == "Messenger");
        // The highest rate of the ramp before its first break (a step measured after the break does not count).
        double Best(SystemRun? r) => r?.Steps.TakeWhile(s => s.Holds(p99Bound)).Select(s => s.Offered).DefaultIfEmpty(0).Max() ?? double.NaN;
        var headline = new List<string>();

        if (messenger is not null)
        {
            var best = Best(messenger);
            var at30 = messenger.Steps.FirstOrDefault(s => s.Offered == TargetLatencyRate);
            report.Targets.Add(new TargetResult($"messenger sustains ≥ {TargetRate:N0} msg/s (p99 ≤ {p99Bound:0} ms, nothing lost)", $"{N(best)} msg/s", best / TargetRate, best >= TargetRate));
            if (kestrel is { Steps.Count: > 0 })
            {
                var ratio = best / Best(kestrel);
                report.Targets.Add(new TargetResult("≥ 45 % of the bare Kestrel relay", $"{N(best)} of {N(Best(kestrel))} msg/s = {ratio:P0}", ratio / 0.45, ratio >= 0.45));
            }

            if (socketIo is { Steps.Count: > 0 })
            {
                var ratio = best / Best(socketIo);
                report.Targets.Add(new TargetResult("parity with the Socket.IO 4 relay (which stores nothing)", $"{N(best)} of {N(Best(socketIo))} msg/s = {ratio:P0}", ratio, ratio >= 1));
            }

            report.Targets.Add(at30 is null
                ? new TargetResult($"p99 send→deliver ≤ 50 ms at {TargetLatencyRate:N0} msg/s", "not reached (the ramp broke earlier)", 0, false)
                : new TargetResult($"p99 send→deliver ≤ 50 ms at {TargetLatencyRate:N0} msg/s", $"{Ms(at30.Deliver.P99)} ms ({at30.Verdict(p99Bound)})",
                    50 / at30.Deliver.P99, at30.Deliver.P99 <= 50 && at30.Errors == 0, "ratio = 50 ms / p99"));
            headline.Add($"messenger {N(best)} msg/s");
        }

        if (kestrel is not null)
        {
            headline.Add($"Kestrel relay {N(Best(kestrel))}");
        }

        if (socketIo is not null)
        {
            headline.Add(socketIo.Problem is null ? $"Socket.IO {N(Best(socketIo))}" : "Socket.IO not measured");
        }

        report.Json["headline"] = string.Join(", ", headline) + $" (max msg/s with p99 ≤ {p99Bound:0} ms)";

        report.Heading("Summary");
        report.Table(["system", "max sustained msg/s", "ratio to the Kestrel relay", "p99 deliver at 30,000/s", "broke at", "why"],
            runs.Select(r =>
            {
                var broken = r.Steps.FirstOrDefault(s => !s.Holds(p99Bound));
                var at30 = r.Steps.FirstOrDefault(s => s.Offered == TargetLatencyRate);
                return (IReadOnlyList<string>)[r.Name, r.Problem ?? N(Best(r)), kestrel is null || r.Problem is not null ? "—" : (Best(r) / Best(kestrel)).ToString("P0", CultureInfo.InvariantCulture),
                    at30 is null ? "—" : Ms(at30.Deliver.P99) + " ms", broken is null ? "—" : N(broken.Offered), broken?.Verdict(p99Bound) ?? "did not break"];
            }), "l");

        Charts.Lines(report, "rate.png", "Offered vs achieved (delivered) rate", "offered msg/s", "delivered msg/s",
            runs.Where(r => r.Steps.Count > 0).Select(r => new Charts.Series(r.Name, [.. r.Steps.Select(s => s.Offered)], [.. r.Steps.Select(s => s.Delivered / (double)Math.Max(1, s.Sent) * s.Achieved)])));
        Charts.Lines(report, "p99.png", "send→deliver p99 per step", "offered msg/s", "ms (log scale)",
            runs.Where(r => r.Steps.Count > 0).Select(r => new Charts.Series(r.Name, [.. r.Steps.Select(s => s.Offered)], [.. r.Steps.Select(s => s.Deliver.P99)])),
            logY: true, horizontalLine: (p99Bound, $"{p99Bound:0} ms"));
        report.Image("rate.png", "Offered against achieved rate per system").Image("p99.png", "send→deliver p99 per step per system");

        foreach (var run in runs)
        {
            report.Heading(run.Name);
            if (run.Problem is not null)
            {
                report.Paragraph("Not measured: " + run.Problem);
                continue;
            }

            StepTable(report, run, p99Bound);
            var slug = Slug(run.Name);
            var steps = run.Steps;
            Charts.Lines(report, $"{slug}-latency.png", $"{run.Name}: latency per step", "offered msg/s", "ms (log scale)",
                new[] { ("deliver p50", (Func<StepResult, double>)(s => s.Deliver.P50)), ("deliver p90", s => s.Deliver.P90), ("deliver p99", s => s.Deliver.P99), ("deliver max", s => s.Deliver.Max) }
                    .Concat(run.Name.StartsWith("Messenger", StringComparison.Ordinal) ? [("ack p50", s => s.Ack.P50), ("ack p99", s => s.Ack.P99)] : [])
                    .Select(l => new Charts.Series(l.Item1, [.. steps.Select(s => s.Offered)], [.. steps.Select(l.Item2)])), logY: true, horizontalLine: (p99Bound, $"{p99Bound:0} ms"));
            var names = steps.SelectMany(s => s.Processes.Select(p => p.Name)).Distinct().ToList();
            Charts.Lines(report, $"{slug}-cpu.png", $"{run.Name}: CPU per process", "offered msg/s", "% of one core (200 % = the machine)",
                names.Select(n => new Charts.Series(n, [.. steps.Select(s => s.Offered)], [.. steps.Select(s => s.Processes.FirstOrDefault(p => p.Name == n)?.CpuPercent ?? 0)])));
            Charts.Lines(report, $"{slug}-memory.png", $"{run.Name}: peak memory per process", "offered msg/s", "MiB",
                names.Select(n => new Charts.Series(n, [.. steps.Select(s => s.Offered)], [.. steps.Select(s => s.Processes.FirstOrDefault(p => p.Name == n)?.PeakMemoryMiB ?? 0)])));
            report.Image($"{slug}-latency.png", $"{run.Name} latency percentiles").Image($"{slug}-cpu.png", $"{run.Name} CPU per process").Image($"{slug}-memory.png", $"{run.Name} memory per process");
        }

        var direct = runs.FirstOrDefault(r => r.Name == "Messenger");
        var viaGateway = runs.FirstOrDefault(r => r.Name == "Messenger via gateway");
        if (direct is not null && viaGateway is { Steps.Count: > 0 })
        {
            report.Heading("What the gateway costs");
            report.Paragraph("The same sockets' traffic through the gateway (YARP proxying the WebSocket to Chat) at the same offered rates:");
            report.Table(["offered msg/s", "deliver p50 direct", "via gateway", "deliver p99 direct", "via gateway", "CPU chat+gateway (via gateway)", "CPU chat (direct)"],
                viaGateway.Steps.Select(g =>
                {
                    var d = direct.Steps.FirstOrDefault(s => s.Offered == g.Offered);
                    double Cpu(StepResult? s, params string[] names) => s?.Processes.Where(p => names.Contains(p.Name)).Sum(p => p.CpuPercent) ?? double.NaN;
                    return (IReadOnlyList<string>)[N(g.Offered), Ms(d?.Deliver.P50 ?? double.NaN) + " ms", Ms(g.Deliver.P50) + " ms", Ms(d?.Deliver.P99 ?? double.NaN) + " ms", Ms(g.Deliver.P99) + " ms",
                        Pct(Cpu(g, "chat", "gateway")), Pct(Cpu(d, "chat"))];
                }));
        }

        if (profile is not null)
        {
            WriteProfile(report, profile, p99Bound);
        }

        report.Json["runs"] = JsonSerializer.SerializeToNode(runs.Select(r => new { r.Name, r.Problem, Steps = r.Steps.Select(s => new
        {
            s.Step, s.Offered, s.Achieved, s.Messages, s.Sent, s.Acked, s.Delivered, s.Ack, s.Deliver, s.Lost, s.Duplicates, s.OrderViolations, s.SeqGaps,
            s.ErrorFrames, s.Misrouted, s.ClosedSockets, s.SendLagP99Ms, Holds = s.Holds(p99Bound), s.Processes, s.Database,
        }) }), Report.JsonOptions);
    }

    private static void StepTable(Report report, SystemRun run, double p99Bound)
    {
        var names = run.Steps.SelectMany(s => s.Processes.Select(p => p.Name)).Distinct().ToList();
        var acked = run.Name.StartsWith("Messenger", StringComparison.Ordinal);
        List<string> headers = ["offered/s", "achieved/s", "sent", "delivered"];
        if (acked)
        {
            headers.AddRange(["ack p50", "ack p99"]);
        }

        headers.AddRange(["deliver p50", "p90", "p99", "max", "errors", "verdict"]);
        headers.AddRange(names.Select(n => $"CPU {n}"));
        headers.AddRange(names.Select(n => $"mem {n}"));
        if (acked)
        {
            headers.AddRange(["commits/s", "WAL flushes/s"]);
        }

        report.Table(headers, run.Steps.Select(s =>
        {
            List<string> row = [N(s.Offered), N(s.Achieved), N(s.Sent), N(s.Delivered)];
            if (acked)
            {
                row.AddRange([Ms(s.Ack.P50), Ms(s.Ack.P99)]);
            }

            row.AddRange([Ms(s.Deliver.P50), Ms(s.Deliver.P90), Ms(s.Deliver.P99), Ms(s.Deliver.Max), ErrorText(s), s.Holds(p99Bound) ? "holds" : "✗ " + s.Verdict(p99Bound)]);
            row.AddRange(names.Select(n => Pct(s.Processes.FirstOrDefault(p => p.Name == n)?.CpuPercent ?? double.NaN)));
            row.AddRange(names.Select(n => N(s.Processes.FirstOrDefault(p => p.Name == n)?.PeakMemoryMiB ?? double.NaN)));
            if (acked)
            {
                row.AddRange([N(s.Database.GetValueOrDefault("commitsPerSecond", double.NaN)), N(s.Database.GetValueOrDefault("walFlushesPerSecond", double.NaN))]);
            }

            return (IReadOnlyList<string>)row;
        }));
        report.Paragraph("Latencies in ms; CPU in % of one core (the machine has 200 %), memory = peak RSS in MiB during the step (PostgreSQL: PSS summed over its processes).");
    }

    private static string ErrorText(StepResult s)
    {
        if (s.Errors == 0)
        {
            return "0";
        }

        var parts = new List<string>();
        void Add(int count, string what)
        {
            if (count > 0)
            {
                parts.Add($"{count} {what}");
            }
        }

        Add(s.Lost, "lost");
        Add(s.Duplicates, "dup");
        Add(s.OrderViolations, "out of order");
        Add(s.SeqGaps, "seq");
        Add(s.ErrorFrames, "error frames");
        Add(s.Misrouted, "misrouted");
        Add(s.ClosedSockets, "sockets closed");
        return string.Join(", ", parts);
    }

    private static void WriteProfile(Report report, ProfileResult profile, double p99Bound)
    {
        report.Heading("Where the time goes");
        var step = profile.Step;
        report.Paragraph($"One more step at the saturation rate, **{N(profile.Rate)} msg/s** offered ({N(step.Achieved)} sent, deliver p99 {Ms(step.Deliver.P99)} ms, " +
            $"{ErrorText(step)} errors), with `dotnet-trace` (sampled thread time) and `dotnet-counters` attached to Chat for 8 s — both add some load of their own.");
        report.Subheading("CPU per process at saturation");
        var total = step.Processes.Sum(p => p.CpuPercent);
        report.Table(["process", "CPU (% of one core)", "share of all CPU used", "peak memory"],
            step.Processes.OrderByDescending(p => p.CpuPercent).Select(p => (IReadOnlyList<string>)[p.Name, Pct(p.CpuPercent), (p.CpuPercent / total).ToString("P0", CultureInfo.InvariantCulture), Mib(p.PeakMemoryMiB)]), "l");
        Charts.Bars(report, "saturation-cpu.png", $"CPU per process at {N(profile.Rate)} msg/s offered", "% of one core", [.. step.Processes.OrderByDescending(p => p.CpuPercent).Select(p => (p.Name, p.CpuPercent))]);
        report.Image("saturation-cpu.png", "CPU split per process at saturation");
        report.Paragraph($"Total {total:0} % of the machine's 200 %. Per delivered message that is {total / 100 * 1e6 / Math.Max(1, step.Delivered / (step.Sent / step.Achieved)):0.0} µs of CPU in all.");

        WriteStages(report, profile);
        report.Subheading("Chat's counters at saturation (dotnet-counters, means over 8 s)");
        if (profile.CountersProblem is not null)
        {
            report.Paragraph("Not collected: " + profile.CountersProblem);
        }
        else
        {
            var interesting = profile.Counters.Where(c => c.Key.StartsWith("Messenger.Chat/", StringComparison.Ordinal) || c.Key.Contains("gc", StringComparison.OrdinalIgnoreCase)
                    || c.Key.Contains("thread_pool", StringComparison.Ordinal) || c.Key.Contains("lock", StringComparison.Ordinal) || c.Key.Contains("cpu", StringComparison.Ordinal)
                    || c.Key.Contains("connections", StringComparison.Ordinal) || c.Key.Contains("working_set", StringComparison.Ordinal) || c.Key.Contains("exceptions", StringComparison.Ordinal))
                .OrderBy(c => c.Key, StringComparer.Ordinal).Take(60);
            report.Table(["counter", "mean"], interesting.Select(c => (IReadOnlyList<string>)[$"`{CounterNames.Short(c.Key)}`", c.Value.ToString("G4", CultureInfo.InvariantCulture)]), "l");
        }

        report.Subheading("Where Chat's threads were busy at saturation (dotnet-trace, sampled thread time)");
        if (profile.Trace is not { } trace)
        {
            report.Paragraph("Not collected: " + profile.TraceProblem);
        }
        else
        {
            report.Paragraph($"`dotnet-trace collect --profile dotnet-sampled-thread-time` for 8 s, read with TraceEvent (raw trace in the report's `raw/` " +
                $"folder, not committed). Of {N(trace.Samples)} thread samples, {N(trace.BusySamples)} were not waiting (idle thread-pool threads, timers, the " +
                "epoll loop left out); shares below are of those. A sample in native code (a system call, the GC, a spinning thread-pool thread) is counted " +
                "under the managed frame that called it, so read this as where the working threads were rather than exact CPU.");
            report.Table(["area (by the innermost managed frame)", "share of busy samples"],
                trace.Areas.Select(a => (IReadOnlyList<string>)[a.Area, a.Share.ToString("P0", CultureInfo.InvariantCulture)]), "l");
            report.Paragraph("Innermost frames (exclusive):");
            report.Table(["method", "share"], trace.Exclusive.Select(m => (IReadOnlyList<string>)[$"`{m.Method}`", m.Share.ToString("P1", CultureInfo.InvariantCulture)]), "l");
            report.Paragraph("On the stack (inclusive):");
            report.Table(["method", "share"], trace.Inclusive.Select(m => (IReadOnlyList<string>)[$"`{m.Method}`", m.Share.ToString("P1", CultureInfo.InvariantCulture)]), "l");
        }

        report.Subheading($"Where the database time goes ({N(profile.StatementRate)} msg/s, statement log)");
        report.Paragraph("Server-side time per statement while one more step ran with `log_min_duration_statement = 0` (the logging itself adds to it).");
        report.Table(["statement", "calls", "total ms", "share", "mean ms", "max ms"],
            profile.Statements.Select(s => (IReadOnlyList<string>)[$"`{s.Text}`", N(s.Calls), N(s.TotalMs), s.Share.ToString("P0", CultureInfo.InvariantCulture),
                s.MeanMs.ToString("0.000", CultureInfo.InvariantCulture), s.MaxMs.ToString("0.0", CultureInfo.InvariantCulture)]), "l");
        report.Json["profile"] = JsonSerializer.SerializeToNode(new { profile.Rate, profile.Step, profile.Counters, Trace = profile.Trace is null ? null : new { profile.Trace.Samples, profile.Trace.BusySamples, Areas = profile.Trace.Areas.Select(a => new { a.Area, a.Share }), Exclusive = profile.Trace.Exclusive.Select(m => new { m.Method, m.Share }), Inclusive = profile.Trace.Inclusive.Select(m => new { m.Method, m.Share }) }, profile.Statements, profile.TraceProblem, profile.CountersProblem }, Report.JsonOptions);
        _ = p99Bound;
    }

    /// <summary>
    /// A message's way through Chat, stage by stage, from the histograms Chat records for each: how
    /// long it waited for the writer, how long its batch took to store (commit included), how long
    /// acking and handing the batch to the sockets took, and how long a frame waited for its socket.
    /// The stage with the largest p99 is where a missed latency target goes.
    /// </summary>
    private static void WriteStages(Report report, ProfileResult profile)
    {
        (string Name, string Counter, string What)[] stages =
        [
            ("queue wait", "messenger.chat.write_queue.wait", "from the `send` frame checked and queued until its batch began to be stored (waiting for the batch before it)"),
            ("batch store", "messenger.chat.write_batch.duration", "one batch's transaction: seq, insert, outbox, read positions, commit (the disk flush included)"),
            ("delivery", "messenger.chat.delivery.duration", "acking one stored batch and handing its frames to the recipients' sockets"),
            ("socket send", "messenger.chat.socket.send_delay", "from a frame queued for a socket until the socket took it (waiting behind earlier frames included)"),
        ];
        double Value(string counter, string percentile) => profile.Counters
            .Where(c => c.Key.Contains("/" + counter + " ", StringComparison.Ordinal) && c.Key.EndsWith($"Percentile={percentile}]", StringComparison.Ordinal))
            .Select(c => c.Value * 1000).DefaultIfEmpty(double.NaN).First();
        if (profile.CountersProblem is not null || stages.All(s => double.IsNaN(Value(s.Counter, "50"))))
        {
            return;
        }

        report.Subheading("Where a message's time goes inside Chat (stage histograms, dotnet-counters, means of the per-second percentiles over 8 s)");
        report.Paragraph($"send→deliver p99 at this step was {Ms(profile.Step.Deliver.P99)} ms (p50 {Ms(profile.Step.Deliver.P50)} ms), measured by the generator. " +
            "Inside Chat a message passes these stages in order; what is left of send→deliver is the generator's own sockets, the kernel, Kestrel's " +
            "receive path and parsing the frame. A p99 over a second's window is not additive across stages, but the largest one is where the time goes.");
        var batchSize = profile.Counters.Where(c => c.Key.Contains("write_batch.size", StringComparison.Ordinal) && c.Key.EndsWith("Percentile=50]", StringComparison.Ordinal))
            .Select(c => c.Value).DefaultIfEmpty(double.NaN).First();
        report.Table(["stage", "p50 ms", "p95 ms", "p99 ms", "what it covers"],
            stages.Select(s => (IReadOnlyList<string>)[s.Name, Stage(Value(s.Counter, "50")), Stage(Value(s.Counter, "95")), Stage(Value(s.Counter, "99")), s.What]), "l");
        report.Paragraph($"Median batch: {batchSize:0} messages.");

        static string Stage(double ms) => double.IsNaN(ms) ? "—" : ms.ToString(ms < 1 ? "0.00" : ms < 10 ? "0.0" : "N0", CultureInfo.InvariantCulture);
    }

    private static string Slug(string name) => new([.. name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-')]);

    private sealed record ProfileResult(double Rate, StepResult Step, TraceSummary.Summary? Trace, string? TraceProblem,
        Dictionary<string, double> Counters, string? CountersProblem, double StatementRate, List<DatabaseProfile.Statement> Statements);
}

internal sealed record SystemRun(string Name, List<StepResult> Steps, string? Problem = null);

/// <summary>Steps one target up through the rates, watching the processes during each step.</summary>
internal sealed class Ramp(string name, TrafficTarget target, IReadOnlyList<int> rates, TimeSpan warmUp, TimeSpan duration, TimeSpan drain, double p99Bound, ProcessSampler sampler, Func<Task<DatabaseCounters>>? counters)
{
    public TimeSpan Duration => duration;

    public double P99Bound => p99Bound;

    public async Task<SystemRun> RunAsync(bool stopAtFirstBreak = true)
    {
        BenchContext.Say($"{name}: warm-up");
        await ChatTraffic.RunStepAsync(target, Math.Min(5_000, rates[0]), warmUp, drain);
        await SettleAsync();
        var steps = new List<StepResult>();
        foreach (var rate in rates)
        {
            var step = await RunStepAsync(rate, duration);
            steps.Add(step);
            BenchContext.Say($"{name}: {rate,7:N0}/s offered, {step.Achieved,7:N0}/s sent; ack p99 {step.Ack.P99,6:0.0} ms; deliver p50 {step.Deliver.P50,6:0.0} p99 {step.Deliver.P99,6:0.0} max {step.Deliver.Max,6:0.0} ms; " +
                $"{step.Delivered:N0}/{step.Sent:N0} delivered, {step.Errors} errors — {step.Verdict(p99Bound)}");
            if (stopAtFirstBreak && !step.Holds(p99Bound))
            {
                break;
            }
        }

        return new SystemRun(name, steps);
    }

    /// <summary>
    /// Waits until the database stops writing (under 64 KB of WAL in each of two seconds in a row, at most 2 min), so what runs
    /// next measures the system, not a backlog: after 30,000 msg/s offered, Chat was still storing ~6 s of queued messages when
    /// the next step began.
    /// </summary>
    private async Task SettleAsync()
    {
        if (counters is null)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var quietSeconds = 0;
        var last = await counters();
        while (quietSeconds < 2 && Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = await counters();
            quietSeconds = now.WalBytes - last.WalBytes < 64 * 1024 ? quietSeconds + 1 : 0;
            last = now;
        }

        BenchContext.Say($"{name}: the database went quiet after {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s");
    }

    public async Task<StepResult> RunStepAsync(double rate, TimeSpan stepDuration)
    {
        var before = counters is null ? null : await counters();
        var window = sampler.Begin();
        var step = await ChatTraffic.RunStepAsync(target, rate, stepDuration, drain);
        var use = window.End();
        var database = before is null ? new Dictionary<string, double>() : (await counters!()).RatesSince(before);
        if (!step.Holds(p99Bound))
        {
            await SettleAsync();
        }

        return step with { Processes = use, Database = database };
    }
}
