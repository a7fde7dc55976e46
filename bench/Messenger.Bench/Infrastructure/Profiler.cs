using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Messenger.Bench.Infrastructure;

/// <summary>
/// dotnet-trace and dotnet-counters (the repository's local tools, .config/dotnet-tools.json) attached
/// to a process of the system under test for a few seconds at saturation.
/// </summary>
internal static class Profiler
{
    /// <summary>A sampled thread-time trace; null (with the reason) when the tool is not available.</summary>
    public static async Task<(string? Trace, string? Problem)> TraceAsync(int pid, TimeSpan duration, string output)
    {
        var (code, text) = await RunToolAsync(["dotnet-trace", "collect", "-p", pid.ToString(CultureInfo.InvariantCulture),
            "--profile", "dotnet-sampled-thread-time", "--duration", Span(duration), "-o", output], duration + TimeSpan.FromSeconds(60));
        return code == 0 && File.Exists(output) ? (output, null) : (null, $"dotnet-trace exited with {code}: {Last(text)}");
    }

    /// <summary>
    /// <c>dotnet-gcdump report -p</c>: the live objects of a process (it forces a full collection), as
    /// object counts by type (the size buckets and assembly names folded away), most numerous first.
    /// Counts, not sizes: on a large heap the tool samples lossily and its byte column is far below the
    /// heap's size, while the counts of objects each connection keeps stay exact enough to tell them apart.
    /// Null with the reason when the tool fails.
    /// </summary>
    public static async Task<(IReadOnlyList<(string Type, long Count)>? Objects, string? Problem)> HeapObjectsAsync(int pid)
    {
        var (code, text) = await RunToolAsync(["dotnet-gcdump", "report", "-p", pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(5));
        if (code != 0)
        {
            return (null, $"dotnet-gcdump exited with {code}: {Last(text)}");
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            // "   Object Bytes     Count  Type (Bytes > 1K)  [Assembly.dll]"
            var match = System.Text.RegularExpressions.Regex.Match(line, @"^\s*[\d,]+\s+([\d,]+)\s+(.+?)(\s+\(Bytes [^)]*\))?(\s+\[[^\]]*\])?\s*$");
            if (match.Success)
            {
                var type = match.Groups[2].Value;
                counts[type] = counts.GetValueOrDefault(type) + long.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
            }
        }

        return ([.. counts.OrderByDescending(c => c.Value).Select(c => (c.Key, c.Value))], null);
    }

    /// <summary>
    /// Counters of the given providers over <paramref name="duration"/>: for each counter, the mean of
    /// its reported values (rates per second, gauges, histogram percentiles).
    /// </summary>
    public static async Task<(Dictionary<string, double> Means, string? Problem)> CountersAsync(int pid, TimeSpan duration, string output, string providers)
    {
        var (code, text) = await RunToolAsync(["dotnet-counters", "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--counters", providers,
            "--format", "json", "-o", output, "--duration", Span(duration), "--maxHistograms", "50"], duration + TimeSpan.FromSeconds(60));
        if (code != 0 || !File.Exists(output))
        {
            return ([], $"dotnet-counters exited with {code}: {Last(text)}");
        }

        var sums = new Dictionary<string, (double Sum, int Count)>();
        try
        {
            using var json = JsonDocument.Parse(await RepairAsync(output));
            foreach (var e in json.RootElement.GetProperty("Events").EnumerateArray())
            {
                var name = e.GetProperty("provider").GetString() + "/" + e.GetProperty("name").GetString() +
                    (e.TryGetProperty("tags", out var tags) && tags.GetString() is { Length: > 0 } t ? $"[{t}]" : "");
                var value = e.GetProperty("value").GetDouble();
                var (sum, count) = sums.GetValueOrDefault(name);
                sums[name] = (sum + value, count + 1);
            }
        }
        catch (JsonException e)
        {
            return ([], "could not read dotnet-counters' output: " + e.Message);
        }

        return (sums.ToDictionary(s => s.Key, s => s.Value.Sum / s.Value.Count), null);
    }

    /// <summary>A file stopped by --duration may miss its closing brackets.</summary>
    private static async Task<string> RepairAsync(string path)
    {
        var text = (await File.ReadAllTextAsync(path)).TrimEnd();
        if (!text.EndsWith('}'))
        {
            text = text.TrimEnd(',') + "]}";
        }

        return text;
    }

    private static string Span(TimeSpan duration) => $"00:00:{(int)duration.TotalMinutes:00}:{duration.Seconds:00}";

    private static string Last(string text) => string.Join(' ', text.Trim().Split('\n').TakeLast(3));

    private static async Task<(int Code, string Output)> RunToolAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Repository.Root, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("tool");
        start.ArgumentList.Add("run");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return (-1, "timed out");
            }

            process.WaitForExit();
            return (process.ExitCode, output.ToString());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
