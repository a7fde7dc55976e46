using System.Globalization;
using System.Text;
using Chat.Bench;

// Usage: dotnet run -c Release --project bench/Chat.Bench [-- seconds-per-rate]
// WebApplicationFactory finds the services' content roots in a manifest beside the binaries, by a relative path.
Directory.SetCurrentDirectory(AppContext.BaseDirectory);
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;

Console.WriteLine("Starting PostgreSQL, Redis, Auth and Chat…");
await using var system = await BenchSystem.StartAsync();
var conversation = await system.OpenConversationAsync();

var results = new List<RateResult>();
using var writer = new WriterStats();
// Warm-up: JIT, pools, prepared statements.
await LatencyRun.RunAsync(conversation, 2_000, TimeSpan.FromSeconds(2));
writer.Take();
foreach (var rate in new[] { 100, 1_000, 5_000, 10_000 })
{
    results.Add(await LatencyRun.RunAsync(conversation, rate, TimeSpan.FromSeconds(seconds)) with { Writer = writer.Take() });
    Console.WriteLine(results[^1]);
}

// The highest offered rate whose messages all arrive with send→deliver p99 within 50 ms.
RateResult? best = null;
for (var rate = 15_000; rate <= 80_000; rate += 5_000)
{
    var result = await LatencyRun.RunAsync(conversation, rate, TimeSpan.FromSeconds(seconds)) with { Writer = writer.Take() };
    Console.WriteLine(result);
    results.Add(result);
    if (!result.Sustained)
    {
        break;
    }

    best = result;
}

// Many conversations at once: 100 pairs, each a sender and a recipient socket.
Console.WriteLine("Opening 100 conversations…");
var pairs = await system.OpenConversationsAsync(100);
await LatencyRun.RunAsync(pairs, 2_000, TimeSpan.FromSeconds(2));
writer.Take();
var pairResults = new List<RateResult>();
RateResult? bestPairs = null;
foreach (var rate in new[] { 5_000, 10_000, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 60_000 })
{
    var result = await LatencyRun.RunAsync(pairs, rate, TimeSpan.FromSeconds(seconds)) with { Writer = writer.Take() };
    Console.WriteLine("100 pairs: " + result);
    pairResults.Add(result);
    if (!result.Sustained)
    {
        break;
    }

    bestPairs = result;
}

// Two more runs with statement logging on: where the database time goes, in one conversation and over 100.
var profile = await DatabaseProfile.MeasureAsync(system.Postgres, () => LatencyRun.RunAsync(conversation, 10_000, TimeSpan.FromSeconds(seconds)));
var pairsProfile = await DatabaseProfile.MeasureAsync(system.Postgres, () => LatencyRun.RunAsync(pairs, 5_000, TimeSpan.FromSeconds(seconds)));

var report = Report.Markdown(results, best, seconds, profile, pairResults, bestPairs, pairsProfile);
Console.WriteLine();
Console.WriteLine(report);
var path = Path.Combine(Report.RepositoryRoot(), "bench", "results", "chat-latency.md");
await File.WriteAllTextAsync(path, report, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
Console.WriteLine($"Written to {path}");
return 0;
