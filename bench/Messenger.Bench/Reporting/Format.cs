using System.Globalization;

namespace Messenger.Bench.Reporting;

internal static class Format
{
    public static string N(double value) => double.IsNaN(value) ? "—" : value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Ms(double value) => double.IsNaN(value) ? "—" : value < 10 ? value.ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Pct(double value) => double.IsNaN(value) ? "—" : value.ToString("0", CultureInfo.InvariantCulture) + " %";

    public static string Mib(double value) => value.ToString("N0", CultureInfo.InvariantCulture) + " MiB";

    public static string Kib(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " KB";
}

internal static class CounterNames
{
    /// <summary>
    /// A dotnet-counters key made readable: provider/instrument with only the tags that tell series apart
    /// (percentile, GC generation, CPU mode, which Npgsql pool), not connection strings and route details.
    /// </summary>
    public static string Short(string key)
    {
        var open = key.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
        {
            return key;
        }

        var name = key[..open];
        var tags = key[(open + 1)..^1].Split(',');
        var kept = new List<string>();
        foreach (var tag in tags)
        {
            var parts = tag.Split('=', 2);
            if (parts.Length != 2)
            {
                continue;
            }

            switch (parts[0])
            {
                case "Percentile":
                    kept.Add("p" + parts[1]);
                    break;
                case "gc.heap.generation" or "cpu.mode" or "http.response.status_code" or "db.operation.name":
                    kept.Add(parts[1]);
                    break;
                case "db.client.connection.pool.name":
                    kept.Add(key.Contains("Max Auto Prepare", StringComparison.Ordinal) ? "Chat's data source" : "EF Core pool");
                    break;
            }
        }

        return kept.Count == 0 ? name : $"{name} [{string.Join(", ", kept.Distinct())}]";
    }
}
