using System.Diagnostics;
using System.Globalization;
using System.Text;
using Messenger.EventBus.Bench;
using Messenger.Testing;

// Usage: dotnet run -c Release --project bench/EventBus.Bench [-- events-per-run runs]
var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30_000;
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;

Console.WriteLine($"Starting PostgreSQL and Redis; {runs} runs of {events:N0} events per transport.");
await using var postgres = await PostgresServer.StartAsync();
await using var redis = await RedisServer.StartAsync();

var results = new List<RelayRun>();
foreach (var transport in new[] { "redis", "kafka" })
{
    // One unmeasured run first, so JIT and connection set-up do not count.
    await RelayBenchmark.RunAsync(transport, Math.Min(events, 2_000), postgres, redis);
    for (var run = 1; run <= runs; run++)
    {
        var result = await RelayBenchmark.RunAsync(transport, events, postgres, redis);
        Console.WriteLine($"{transport} run {run}: published {result.PublishedPerSecond:N0}/s, consumed {result.ConsumedPerSecond:N0}/s");
        results.Add(result);
    }
}

var table = Report.Markdown(results, events, runs);
Console.WriteLine();
Console.WriteLine(table);
var path = Path.Combine(Report.RepositoryRoot(), "bench", "results", "eventbus-relay.md");
await File.WriteAllTextAsync(path, table, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
Console.WriteLine($"Written to {path}");
return 0;

namespace Messenger.EventBus.Bench
{
    internal static class Report
    {
        public static string Markdown(List<RelayRun> results, int events, int runs)
        {
            var text = new StringBuilder();
            text.AppendLine("# Outbox relay throughput");
            text.AppendLine();
            text.AppendLine($"`dotnet run -c Release --project bench/EventBus.Bench` on {DateTime.UtcNow:yyyy-MM-dd}, " +
                $"{Environment.ProcessorCount} cores, .NET {Environment.Version}. Each run: {events:N0} events (~{results[0].PayloadBytes} B envelopes, " +
                "64 keys) are copied into an empty outbox in PostgreSQL, then a service starts with the relay (500 rows per transaction) " +
                "and one consumer group; *published* is rows published and deleted per second until the outbox is empty, *consumed* is " +
                "events handled per second until the last one arrived (both from the service's start). Median of " +
                $"{runs} runs after one warm-up; every run checks each event arrived exactly once.");
            text.AppendLine();
            text.AppendLine("| transport | published events/s | consumed events/s | drain time | runs (published/s) |");
            text.AppendLine("|---|---:|---:|---:|---|");
            foreach (var group in results.GroupBy(r => r.Transport))
            {
                var published = Median(group.Select(r => r.PublishedPerSecond));
                var consumed = Median(group.Select(r => r.ConsumedPerSecond));
                var drain = Median(group.Select(r => r.Consumed.TotalSeconds));
                var each = string.Join(", ", group.Select(r => r.PublishedPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
                var name = group.Key == "redis" ? "Redis Streams (redis-server 7)" : "Kafka (librdkafka mock broker)";
                text.AppendLine($"| {name} | {published:N0} | {consumed:N0} | {drain:0.00} s | {each} |");
            }

            text.AppendLine();
            text.AppendLine("The mock Kafka broker runs inside the benchmark process, so Kafka's numbers share the two cores with " +
                "the relay and the consumer; they show the relay's own ceiling, not a production cluster's. Runs vary by " +
                "up to ±30 % on this two-core machine while other work runs on it.");
            return text.ToString();
        }

        public static string RepositoryRoot()
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messenger.slnx")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("Run the benchmark from inside the repository.");
        }

        private static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    internal sealed record RelayRun(string Transport, int Events, TimeSpan Published, TimeSpan Consumed, int PayloadBytes)
    {
        public double PublishedPerSecond => Events / Published.TotalSeconds;

        public double ConsumedPerSecond => Events / Consumed.TotalSeconds;
    }

    internal static class Clock
    {
        public static TimeSpan Since(long start) => Stopwatch.GetElapsedTime(start);
    }
}
