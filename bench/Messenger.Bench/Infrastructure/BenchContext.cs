using Messenger.Bench.Reporting;

namespace Messenger.Bench.Infrastructure;

/// <summary>What every scenario gets: its options, the machine, where logs go.</summary>
internal sealed class BenchContext(string scenario, BenchOptions options, Machine machine)
{
    public string Scenario { get; } = scenario;

    public BenchOptions Options { get; } = options;

    public Machine Machine { get; } = machine;

    /// <summary>Durable PostgreSQL unless <c>--durable false</c>.</summary>
    public bool Durable => Options.Flag("durable", fallback: true);

    public string Command => $"bash scripts/bench.sh {Scenario} {Options}".TrimEnd();

    public string LogDirectory { get; } = Path.Combine(Path.GetTempPath(), "messenger-bench", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));

    public Report NewReport(string title) => new(Scenario, title, Command, Machine);

    public static void Say(string text) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {text}");
}
