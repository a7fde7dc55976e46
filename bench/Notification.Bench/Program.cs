using System.Diagnostics;
using System.Globalization;
using System.Text;
using Messenger.EventBus.Transport;
using Notification.Bench;

// Usage: dotnet run -c Release --project bench/Notification.Bench [-- latency-seconds burst-events]
// WebApplicationFactory finds the services' content roots in a manifest beside the binaries, by a relative path.
Directory.SetCurrentDirectory(AppContext.BaseDirectory);
var latencySeconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var burst = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
const int Users = 100;
const int LatencyRate = 100;

var results = new List<Result>();
foreach (var instanceCount in new[] { 1, 2 })
{
    Console.WriteLine($"Starting PostgreSQL, Redis, Auth and {instanceCount} Notification instance(s) with {Users} open streams…");
    await using var system = await BenchSystem.StartAsync(instanceCount, Users);
    var conversations = system.Users.ToDictionary(u => u.UserId, _ => Guid.NewGuid());
    var seq = 0L;

    // Warm-up: JIT, pools, prepared statements.
    await RunBurstAsync(system, conversations, 1_000, () => ++seq);

    var latencies = await RunAtRateAsync(system, conversations, LatencyRate, TimeSpan.FromSeconds(latencySeconds), () => ++seq);
    var (events, elapsed) = await RunBurstAsync(system, conversations, burst, () => ++seq);
    var result = new Result(instanceCount, latencies, events / elapsed.TotalSeconds, elapsed);
    Console.WriteLine(result);
    results.Add(result);
}

var report = Report.Markdown(results, Users, LatencyRate, latencySeconds, burst);
Console.WriteLine();
Console.WriteLine(report);
var path = Path.Combine(Report.ResultsDirectory(), "notify.md");
await File.WriteAllTextAsync(path, report, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
Console.WriteLine($"Written to {path}");
return 0;

// Events at a steady rate, spread over the users; each one's event→SSE time.
static async Task<List<double>> RunAtRateAsync(BenchSystem system, Dictionary<Guid, Guid> conversations, int rate, TimeSpan duration, Func<long> nextSeq)
{
    var sent = new List<(Guid Conversation, long Seq, long At)>();
    var total = (int)(rate * duration.TotalSeconds);
    var start = Stopwatch.GetTimestamp();
    for (var i = 0; i < total; i++)
    {
        var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var user = system.Users[i % system.Users.Count];
        var (conversation, seq) = (conversations[user.UserId], nextSeq());
        var message = BenchSystem.Message(user, conversation, seq);
        sent.Add((conversation, seq, Stopwatch.GetTimestamp()));
        await system.PublishAsync([message]);
    }

    await WaitForAllAsync(system, [.. sent.Select(s => (s.Conversation, s.Seq))]);
    return [.. sent.Select(s => BenchSystem.Milliseconds(s.At, system.ArrivalOf(s.Conversation, s.Seq)!.Value)).Order()];
}

// As many events as the log takes at once; the time until the last one reached its stream.
static async Task<(int Events, TimeSpan Elapsed)> RunBurstAsync(
    BenchSystem system, Dictionary<Guid, Guid> conversations, int count, Func<long> nextSeq)
{
    var expected = new List<(Guid Conversation, long Seq)>(count);
    var messages = new List<TransportMessage>(count);
    for (var i = 0; i < count; i++)
    {
        var user = system.Users[i % system.Users.Count];
        var (conversation, seq) = (conversations[user.UserId], nextSeq());
        expected.Add((conversation, seq));
        messages.Add(BenchSystem.Message(user, conversation, seq));
    }

    var start = Stopwatch.GetTimestamp();
    foreach (var chunk in messages.Chunk(500))
    {
        await system.PublishAsync(chunk);
    }

    await WaitForAllAsync(system, expected);
    var last = expected.Max(e => system.ArrivalOf(e.Conversation, e.Seq)!.Value);
    return (count, Stopwatch.GetElapsedTime(start, last));
}

static async Task WaitForAllAsync(BenchSystem system, List<(Guid Conversation, long Seq)> messages)
{
    var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
    var pending = messages.ToList();
    while (pending.Count > 0)
    {
        pending.RemoveAll(m => system.HasArrived(m.Conversation, m.Seq));
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"{pending.Count} notifications never reached their stream.");
        }

            await Task.Delay(50);
    }
}

namespace Notification.Bench
{
    internal sealed record Result(int Instances, List<double> Latencies, double PerSecond, TimeSpan BurstTime)
    {
        public double Percentile(double p) => Latencies[Math.Min(Latencies.Count - 1, (int)Math.Ceiling(p * Latencies.Count) - 1)];

        public override string ToString() =>
            $"{Instances} instance(s): event→SSE p50 {Percentile(0.50):0.0} ms, p99 {Percentile(0.99):0.0} ms; burst {PerSecond:N0} notifications/s ({PerSecond / Instances:N0} per instance)";
    }

    internal static class Report
    {
        public static string Markdown(List<Result> results, int users, int rate, double seconds, int burst)
        {
            var text = new StringBuilder();
            text.AppendLine("# Notification delivery");
            text.AppendLine();
            text.AppendLine($"`dotnet run -c Release --project bench/Notification.Bench` on {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, " +
                $".NET {Environment.Version}. PostgreSQL, Redis (the Redis Streams event log), Auth and the Notification instances run on this machine " +
                $"with the benchmark; {users} users keep an SSE stream open, spread over the instances. Each event is a `MessageSent` to one user in " +
                "that user's conversation, so it updates the user's grouped notification (the upsert path) and goes out on the stream.");
            text.AppendLine();
            text.AppendLine($"- **event→SSE latency**: {rate} events/s for {seconds:0} s; from publishing the event on the log to its notification " +
                "arriving on the user's stream (consumer, transaction, Redis channel, SSE write).");
            text.AppendLine($"- **throughput**: {burst:N0} events put on the log at once; notifications per second until the last one reached its stream.");
            text.AppendLine();
            text.AppendLine("| instances | latency p50 | latency p99 | notifications/s (all) | notifications/s per instance | burst drain time |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (var r in results)
            {
                text.AppendLine($"| {r.Instances} | {r.Percentile(0.50):0.0} ms | {r.Percentile(0.99):0.0} ms | {r.PerSecond:N0} | {r.PerSecond / r.Instances:N0} | {r.BurstTime.TotalSeconds:0.00} s |");
            }

            text.AppendLine();
            text.AppendLine("Each instance handles its events one after another per topic (one transaction each: the processed-event mark, the " +
                "user's change number and the grouping upsert), so one instance's rate is bounded by that transaction's round trips; more " +
                "instances share the stream through the consumer group. Everything shares the same cores here, so a second instance adds " +
                "less than it would on its own machine. Runs vary by ±20 % on this machine while other work runs on it.");
            return text.ToString();
        }

        /// <summary><c>bench/results</c>, found from where this file was compiled (the benchmark runs from the repository).</summary>
        public static string ResultsDirectory([System.Runtime.CompilerServices.CallerFilePath] string source = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "results"));
    }
}
