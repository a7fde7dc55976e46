using System.Diagnostics;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;
using Messenger.Bench.Reporting;
using static Messenger.Bench.Reporting.Format;

namespace Messenger.Bench.Scenarios;

/// <summary>
/// flood: what a flooding user does to everyone else. Bystander pairs exchange messages at a modest
/// rate, first alone, then while one user floods Chat with <c>send</c> frames over several sockets at
/// once (paced at <c>--flood-rate</c>, far over Chat's per-connection and per-user limits). Chat runs
/// with its default limits. Reports the bystanders' send→deliver latency in both phases (every
/// bystander message checked as in chat-throughput), and how Chat answered the flood (acks against
/// <c>rate_limited</c> errors).
/// </summary>
internal static class Flood
{
    public static async Task RunAsync(BenchContext context)
    {
        var o = context.Options;
        var pairs = o.Int("pairs", 20, 20);
        var rate = o.Double("rate", 200, 200);
        var floodSockets = o.Int("flood-sockets", 8, 8);
        var floodRate = o.Double("flood-rate", 5_000, 5_000);
        var duration = TimeSpan.FromSeconds(o.Double("step-seconds", 15, 8));
        var drain = TimeSpan.FromSeconds(5);

        var report = context.NewReport("Flood: another user's latency while one user floods the chat");
        await using var sampler = new ProcessSampler();
        sampler.Watch("generator", Environment.ProcessId);
        var spec = context.Spec(new SystemSpec { Durable = context.Durable, ChatInstances = 1 });
        report.Setup.Add(spec.DescribeDurability() + ".");
        report.Setup.Add("**System**: Auth and Chat as separate processes (Release, Production environment), Chat with its default limits " +
            "(per connection burst 60, 10 frames/s; per user twice that).");
        report.Setup.Add($"**Bystanders**: {pairs} pairs in 1:1 conversations, {N(rate)} messages/s in all, every message checked (delivered once, in order, no seq gap). " +
            $"**Flooder**: one user with {floodSockets} sockets sending `send` frames into a conversation at {N(floodRate)} frames/s in all.");
        BenchContext.Say("Starting PostgreSQL, Redis, Auth and Chat");
        await using var system = await MessengerSystem.StartAsync(spec, sampler, context.LogDirectory);
        var users = await MessengerClient.RegisterManyAsync(system.Auth.BaseAddress, (pairs * 2) + 2, "flood");
        var conversations = new Guid[pairs];
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (p, _) =>
            conversations[p] = await MessengerClient.OpenDirectAsync(system.Chat.BaseAddress, users[2 * p], users[(2 * p) + 1].UserId));
        var (flooder, victim) = (users[^2], users[^1]);
        var floodConversation = await MessengerClient.OpenDirectAsync(system.Chat.BaseAddress, flooder, victim.UserId);

        var bystanders = await ChatThroughput.ConnectMessengerAsync(system.Chat.BaseAddress, users[..(pairs * 2)]);
        var target = new TrafficTarget("Bystanders", Protocol.Messenger, bystanders, conversations);
        await ChatTraffic.RunStepAsync(target, rate, TimeSpan.FromSeconds(3), drain);

        BenchContext.Say($"Bystanders alone: {N(rate)} msg/s for {duration.TotalSeconds:0} s");
        var (quiet, quietUse) = await MeasureAsync(sampler, target, rate, duration, drain);

        var floodUri = MessengerClient.ChatSocketUri(system.Chat.BaseAddress, flooder.AccessToken);
        var flooding = new List<LoadSocket>();
        for (var i = 0; i < floodSockets; i++)
        {
            flooding.Add(await LoadSocket.ConnectAsync(floodUri, Protocol.Messenger, 10_000 + i));
        }

        var answers = new FloodAnswers();
        foreach (var socket in flooding)
        {
            socket.OnFrame = (_, frame, _) => answers.Count(frame.Span);
        }

        BenchContext.Say($"Bystanders while one user floods at {N(floodRate)} frames/s");
        using var stopFlood = new CancellationTokenSource();
        var floodClock = Stopwatch.StartNew();
        var floodTasks = flooding.Select((socket, i) => FloodAsync(socket, floodConversation, i, floodRate / floodSockets, stopFlood.Token)).ToList();
        var (flooded, floodedUse) = await MeasureAsync(sampler, target, rate, duration, drain);
        await stopFlood.CancelAsync();
        var floodSent = (await Task.WhenAll(floodTasks)).Sum();
        var floodSeconds = floodClock.Elapsed.TotalSeconds;
        await Task.Delay(500);
        var floodOpen = flooding.Count(s => s.IsOpen);
        await ChatThroughput.DisposeAllAsync(flooding);
        await ChatThroughput.DisposeAllAsync(bystanders);

        Write(report, quiet, quietUse, flooded, floodedUse, floodSent, floodSeconds, answers, floodOpen, floodSockets);
        await report.WriteAsync();
    }

    private static async Task<(StepResult Step, IReadOnlyList<ProcessUse> Use)> MeasureAsync(
        ProcessSampler sampler, TrafficTarget target, double rate, TimeSpan duration, TimeSpan drain)
    {
        var window = sampler.Begin();
        var step = await ChatTraffic.RunStepAsync(target, rate, duration, drain);
        var use = window.End();
        BenchContext.Say($"  deliver p50 {step.Deliver.P50:0.0} p99 {step.Deliver.P99:0.0} max {step.Deliver.Max:0.0} ms; {step.Delivered:N0}/{step.Sent:N0} delivered, {step.Errors} errors");
        return (step, use);
    }

    /// <summary>Sends frames into the flood conversation at the given pace until stopped; returns how many went out.</summary>
    private static async Task<int> FloodAsync(LoadSocket socket, Guid conversation, int index, double perSecond, CancellationToken stop)
    {
        var template = new FrameTemplate(Protocol.Messenger, conversation);
        var buffer = new byte[512];
        var interval = Stopwatch.Frequency / perSecond;
        var start = Stopwatch.GetTimestamp();
        var sent = 0;
        while (!stop.IsCancellationRequested && socket.IsOpen)
        {
            var wait = start + (long)(sent * interval) - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), CancellationToken.None);
            }

            var length = template.Write(buffer, 999_999, index, sent);
            try
            {
                await socket.SendAsync(buffer.AsMemory(0, length));
            }
            catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException)
            {
                break;
            }

            sent++;
        }

        return sent;
    }

    private static void Write(Report report, StepResult quiet, IReadOnlyList<ProcessUse> quietUse, StepResult flooded, IReadOnlyList<ProcessUse> floodedUse,
        int floodSent, double floodSeconds, FloodAnswers answers, int floodOpen, int floodSockets)
    {
        var ratio = flooded.Deliver.P99 / quiet.Deliver.P99;
        report.Json["headline"] = $"bystander p99 {quiet.Deliver.P99:0.0} ms alone, {flooded.Deliver.P99:0.0} ms during a flood of {N(floodSent / floodSeconds)} frames/s ({N(answers.RateLimited)} refused)";
        report.Heading("Bystanders alone and during the flood");
        var processes = quietUse.Select(u => u.Name).ToList();
        report.Table(
            ["phase", "bystander msg/s", "delivered", "errors", "deliver p50 ms", "p90", "p99", "max", .. processes.Select(p => $"CPU {p}")],
            [Row("alone", quiet, quietUse), Row("during the flood", flooded, floodedUse)]);
        report.Paragraph($"The bystanders' p99 during the flood is {ratio:0.0}× their p99 alone. CPU in % of one core (the machine has 200 %); the generator " +
            "that floods and the one that measures are the same process on the same two cores as the services, so part of any slowdown is the flood's own load on the machine rather than Chat favouring the flooder.");
        report.Heading("How Chat answered the flood");
        report.Table(
            ["frames sent", "per second", "acked (stored)", "rate_limited errors", "other frames (its stored messages on its other sockets)", "flood sockets still open"],
            [[N(floodSent), N(floodSent / floodSeconds), N(answers.Acks), N(answers.RateLimited), N(answers.Other), $"{floodOpen} of {floodSockets}"]]);
        report.Paragraph("A flooding socket is not closed: each frame over its budget gets an `error` frame `rate_limited` and nothing is stored, " +
            "so the flooder's stored messages are bounded by the per-user limit whatever it sends.");
        report.Json["bystanders"] = System.Text.Json.JsonSerializer.SerializeToNode(new { quiet, flooded }, Report.JsonOptions);
        report.Json["flood"] = System.Text.Json.JsonSerializer.SerializeToNode(
            new { sent = floodSent, seconds = floodSeconds, acks = answers.Acks, rateLimited = answers.RateLimited, other = answers.Other, openAfter = floodOpen }, Report.JsonOptions);

        static IReadOnlyList<string> Row(string phase, StepResult step, IReadOnlyList<ProcessUse> use) =>
            [phase, N(step.Achieved), $"{N(step.Delivered)} of {N(step.Sent)}", N(step.Errors), Ms(step.Deliver.P50), Ms(step.Deliver.P90), Ms(step.Deliver.P99), Ms(step.Deliver.Max),
                .. use.Select(u => $"{u.CpuPercent:0} %")];
    }

    /// <summary>What came back on the flooding sockets, by kind.</summary>
    private sealed class FloodAnswers
    {
        private int acks;
        private int rateLimited;
        private int other;

        public int Acks => Volatile.Read(ref acks);

        public int RateLimited => Volatile.Read(ref rateLimited);

        public int Other => Volatile.Read(ref other);

        public void Count(ReadOnlySpan<byte> frame)
        {
            if (frame.IndexOf("\"type\":\"ack\""u8) >= 0)
            {
                Interlocked.Increment(ref acks);
            }
            else if (frame.IndexOf("\"rate_limited\""u8) >= 0)
            {
                Interlocked.Increment(ref rateLimited);
            }
            else
            {
                Interlocked.Increment(ref other);
            }
        }
    }
}
