using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messenger.Bench.Infrastructure;

namespace Messenger.Bench.Reporting;

/// <summary>
/// One scenario's report: <c>bench/results/&lt;yyyy-MM-dd-HHmm&gt;-&lt;scenario&gt;/</c> with report.md,
/// report.json and PNG charts, every one stating the machine, the load on it and how it was run.
/// </summary>
internal sealed class Report
{
    private readonly StringBuilder body = new();
    private readonly DateTime started = DateTime.UtcNow;
    private readonly (double One, double Five, double Fifteen) loadAtStart = Machine.LoadAverage();

    public Report(string scenario, string title, string command, Machine machine)
    {
        Scenario = scenario;
        Title = title;
        Command = command;
        Machine = machine;
        Folder = Path.Combine(Repository.Results, $"{started:yyyy-MM-dd-HHmm}-{scenario}");
        Directory.CreateDirectory(Folder);
        Json["scenario"] = scenario;
        Json["startedAt"] = started.ToString("O", CultureInfo.InvariantCulture);
        Json["command"] = command;
        Json["machine"] = JsonSerializer.SerializeToNode(machine, Report.JsonOptions);
        Json["loadAverageAtStart"] = new JsonArray(loadAtStart.One, loadAtStart.Five, loadAtStart.Fifteen);
    }

    /// <summary>NaN (a percentile of nothing) is written as "NaN" rather than failing the report.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    public string Scenario { get; }

    public string Title { get; }

    public string Command { get; }

    public Machine Machine { get; }

    public string Folder { get; }

    /// <summary>Where raw material (traces, logs) goes; not committed.</summary>
    public string RawFolder => Directory.CreateDirectory(Path.Combine(Folder, "raw")).FullName;

    public JsonObject Json { get; } = [];

    /// <summary>How the system ran (durability, settings raised); shown under the header.</summary>
    public List<string> Setup { get; } = [];

    /// <summary>Targets of the issue with what this run reached.</summary>
    public List<TargetResult> Targets { get; } = [];

    public Report Heading(string text)
    {
        body.AppendLine().AppendLine("## " + text).AppendLine();
        return this;
    }

    public Report Subheading(string text)
    {
        body.AppendLine().AppendLine("### " + text).AppendLine();
        return this;
    }

    public Report Paragraph(string text)
    {
        body.AppendLine(text).AppendLine();
        return this;
    }

    public Report Bullets(IEnumerable<string> items)
    {
        foreach (var item in items)
        {
            body.AppendLine("- " + item);
        }

        body.AppendLine();
        return this;
    }

    public Report Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string? align = null)
    {
        body.AppendLine("| " + string.Join(" | ", headers) + " |");
        body.AppendLine("|" + string.Join("|", headers.Select((_, i) => align is not null && i < align.Length && align[i] == 'l' ? "---" : "---:")) + "|");
        foreach (var row in rows)
        {
            body.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        }

        body.AppendLine();
        return this;
    }

    public Report Code(string text, string language = "")
    {
        body.AppendLine("```" + language).AppendLine(text.TrimEnd()).AppendLine("```").AppendLine();
        return this;
    }

    /// <summary>Links a chart written into the report's folder.</summary>
    public Report Image(string file, string alt)
    {
        body.AppendLine($"![{alt}]({file})").AppendLine();
        return this;
    }

    public string PathOf(string file) => Path.Combine(Folder, file);

    public async Task WriteAsync()
    {
        var loadAtEnd = Machine.LoadAverage();
        var text = new StringBuilder();
        text.AppendLine("# " + Title).AppendLine();
        text.AppendLine($"Run {started:yyyy-MM-dd HH:mm} UTC with `{Command}` ({(DateTime.UtcNow - started).TotalMinutes:0.#} min).").AppendLine();
        text.AppendLine($"- **Machine**: {Machine.Describe()}.");
        text.AppendLine($"- **Load average** (1/5/15 min): {loadAtStart.One:0.00}/{loadAtStart.Five:0.00}/{loadAtStart.Fifteen:0.00} at the start, " +
            $"{loadAtEnd.One:0.00}/{loadAtEnd.Five:0.00}/{loadAtEnd.Fifteen:0.00} at the end (the run's own load included).");
        text.AppendLine("- **Generator**: this program, on the same machine and the same cores as the system under test; its own CPU use is in the tables.");
        foreach (var line in Setup)
        {
            text.AppendLine("- " + line);
        }

        if (Targets.Count > 0)
        {
            text.AppendLine().AppendLine("## Targets").AppendLine();
            text.AppendLine("| target | measured | ratio | |").AppendLine("|---|---:|---:|---|");
            foreach (var t in Targets)
            {
                text.AppendLine($"| {t.Target} | {t.Measured} | {(double.IsNaN(t.Ratio) ? "—" : t.Ratio.ToString("P0", CultureInfo.InvariantCulture))} | {(t.Met ? "met" : "**missed**")}{(t.Note is null ? "" : " — " + t.Note)} |");
            }
        }

        text.Append(body);
        Json["finishedAt"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        Json["loadAverageAtEnd"] = new JsonArray(loadAtEnd.One, loadAtEnd.Five, loadAtEnd.Fifteen);
        Json["setup"] = new JsonArray([.. Setup.Select(s => (JsonNode)s)]);
        Json["targets"] = JsonSerializer.SerializeToNode(Targets, Report.JsonOptions);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        await File.WriteAllTextAsync(PathOf("report.md"), text.ToString(), utf8);
        await File.WriteAllTextAsync(PathOf("report.json"), Json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), utf8);
        await Latest.UpdateAsync();
        Console.WriteLine($"Report: {PathOf("report.md")}");
    }
}

/// <param name="Ratio">Measured over target (higher is better), NaN when it makes no sense.</param>
internal sealed record TargetResult(string Target, string Measured, double Ratio, bool Met, string? Note = null);

/// <summary><c>bench/results/latest.md</c>: the newest report of each scenario.</summary>
internal static class Latest
{
    public static async Task UpdateAsync()
    {
        var reports = Directory.GetDirectories(Repository.Results)
            .Select(d => new DirectoryInfo(d))
            .Where(d => File.Exists(Path.Combine(d.FullName, "report.md")) && d.Name.Length > 16)
            .GroupBy(d => d.Name[16..])
            .Select(g => g.OrderByDescending(d => d.Name, StringComparer.Ordinal).First())
            .OrderBy(d => d.Name[16..], StringComparer.Ordinal)
            .ToList();
        var text = new StringBuilder();
        text.AppendLine("# Latest benchmark reports").AppendLine();
        text.AppendLine("Made by `bash scripts/bench.sh <scenario>` (see the README's Benchmarks section). The newest report of each scenario:").AppendLine();
        text.AppendLine("| scenario | report | run at (UTC) | headline |").AppendLine("|---|---|---|---|");
        foreach (var folder in reports)
        {
            var headline = "";
            var json = Path.Combine(folder.FullName, "report.json");
            if (File.Exists(json) && JsonNode.Parse(await File.ReadAllTextAsync(json))?["headline"]?.GetValue<string>() is { } h)
            {
                headline = h;
            }

            text.AppendLine($"| {folder.Name[16..]} | [{folder.Name}/report.md]({folder.Name}/report.md) | {folder.Name[..10]} {folder.Name[11..13]}:{folder.Name[13..15]} | {headline} |");
        }

        text.AppendLine().AppendLine("Older reports stay in their folders as history; the per-issue notes from before this harness (`chat-latency.md`, " +
            "`eventbus-relay.md`, `notify.md`, `directory-search.md`) are kept as they were written.");
        await File.WriteAllTextAsync(Path.Combine(Repository.Results, "latest.md"), text.ToString(), new UTF8Encoding(false));
    }
}
