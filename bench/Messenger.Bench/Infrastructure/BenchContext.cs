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

    /// <summary>
    /// The scenario's name in the report's folder and in <c>latest.md</c>: with <c>--label one-conversation</c>
    /// a variant run is listed beside the scenario's usual run (<c>chat-throughput-one-conversation</c>) instead of replacing it.
    /// </summary>
    public string ReportName => Options.Text("label", "") is { Length: > 0 } label ? $"{Scenario}-{label}" : Scenario;

    public Report NewReport(string title) => new(ReportName, title, Command, Machine);

    /// <summary>
    /// <paramref name="spec"/> with this run's <c>--settings "service:Key=Value;…"</c> added, e.g.
    /// <c>--settings "chat:Chat:Writer:Lanes=4"</c>: configuration to compare without editing code.
    /// The settings are part of <see cref="Command"/>, so every report shows them.
    /// </summary>
    public SystemSpec Spec(SystemSpec spec)
    {
        foreach (var setting in Options.Text("settings", "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = setting.IndexOf(':', StringComparison.Ordinal);
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (colon <= 0 || equals < colon + 2)
            {
                throw new ArgumentException($"--settings takes service:Key=Value pairs separated by ';', not '{setting}'.");
            }

            spec.With(setting[..colon], setting[(colon + 1)..equals], setting[(equals + 1)..]);
        }

        return spec;
    }

    public static void Say(string text) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {text}");
}
