using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Messenger.Testing;
using Npgsql;

namespace Chat.Bench;

/// <summary>
/// Where the database time goes during a run: statement logging is switched on for its length
/// (log_min_duration_statement = 0), then the server log is summed by statement.
/// </summary>
internal static partial class DatabaseProfile
{
    public static async Task<string> MeasureAsync(PostgresServer postgres, Func<Task> run)
    {
        var log = postgres.LogPath ?? throw new InvalidOperationException("The server's log is not available.");
        var start = new FileInfo(log).Length;
        await SetAsync(postgres, "0");
        try
        {
            await run();
        }
        finally
        {
            await SetAsync(postgres, "-1");
        }

        string text;
        await using (var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            stream.Seek(start, SeekOrigin.Begin);
            text = await new StreamReader(stream).ReadToEndAsync();
        }

        var totals = new Dictionary<string, (int Count, double Milliseconds)>();
        foreach (Match match in DurationLine().Matches(text))
        {
            var statement = Regex.Replace(match.Groups["sql"].Value, @"\s+", " ");
            var key = statement.Length > 70 ? statement[..70] + "…" : statement;
            var ms = double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture);
            var (count, sum) = totals.GetValueOrDefault(key);
            totals[key] = (count + 1, sum + ms);
        }

        var all = totals.Values.Sum(t => t.Milliseconds);
        var table = new StringBuilder();
        table.AppendLine("| statement | calls | total ms | share | mean ms |");
        table.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (statement, (count, ms)) in totals.OrderByDescending(t => t.Value.Milliseconds).Take(12))
        {
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| `{statement.Replace("|", "\\|", StringComparison.Ordinal)}` | {count:N0} | {ms:N0} | {ms / all:P0} | {ms / count:0.000} |"));
        }

        return table.ToString();
    }

    private static async Task SetAsync(PostgresServer postgres, string value)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"ALTER SYSTEM SET log_min_duration_statement = {value}; SELECT pg_reload_conf()", connection);
        await command.ExecuteNonQueryAsync();
        await Task.Delay(200);
    }

    [GeneratedRegex(@"duration: (?<ms>[0-9.]+) ms\s+(?:statement|execute [^:]*|parse [^:]*|bind [^:]*): (?<sql>[^\n]*)")]
    private static partial Regex DurationLine();
}
