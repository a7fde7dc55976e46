using System.Globalization;
using System.Text.RegularExpressions;
using Messenger.Testing;
using Npgsql;

namespace Messenger.Bench.Infrastructure;

/// <summary>
/// Where the database time goes during a run: statement logging is switched on for its length
/// (log_min_duration_statement = 0), then the server log is summed by statement.
/// </summary>
internal static partial class DatabaseProfile
{
    /// <summary>One statement's calls and server time; <see cref="MaxMs"/> shows stalls that a mean hides.</summary>
    public sealed record Statement(string Text, int Calls, double TotalMs, double Share, double MeanMs, double MaxMs);

    public static async Task<List<Statement>> MeasureAsync(PostgresServer postgres, Func<Task> run)
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

        var totals = new Dictionary<string, (int Count, double Milliseconds, double Max)>();
        foreach (Match match in DurationLine().Matches(text))
        {
            var statement = Whitespace().Replace(match.Groups["sql"].Value, " ");
            var key = statement.Length > 70 ? statement[..70] + "…" : statement;
            var ms = double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture);
            var (count, sum, max) = totals.GetValueOrDefault(key);
            totals[key] = (count + 1, sum + ms, Math.Max(max, ms));
        }

        var all = totals.Values.Sum(t => t.Milliseconds);
        return [.. totals.OrderByDescending(t => t.Value.Milliseconds).Take(12)
            .Select(t => new Statement(t.Key, t.Value.Count, t.Value.Milliseconds, t.Value.Milliseconds / all, t.Value.Milliseconds / t.Value.Count, t.Value.Max))];
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

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

/// <summary>Server-wide commit and WAL counters (pg_stat_database, pg_stat_wal), to turn into rates per step.</summary>
internal sealed record DatabaseCounters(long Commits, long WalSyncs, long WalBytes, DateTime At)
{
    public static async Task<DatabaseCounters> ReadAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT sum(xact_commit)::bigint FROM pg_stat_database), wal_sync, wal_bytes::bigint FROM pg_stat_wal", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new DatabaseCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), DateTime.UtcNow);
    }

    /// <summary>Commits/s, WAL flushes/s and WAL MB/s between two readings.</summary>
    public Dictionary<string, double> RatesSince(DatabaseCounters start)
    {
        var seconds = (At - start.At).TotalSeconds;
        return new Dictionary<string, double>
        {
            ["commitsPerSecond"] = (Commits - start.Commits) / seconds,
            ["walFlushesPerSecond"] = (WalSyncs - start.WalSyncs) / seconds,
            ["walMegabytesPerSecond"] = (WalBytes - start.WalBytes) / seconds / 1e6,
        };
    }
}
