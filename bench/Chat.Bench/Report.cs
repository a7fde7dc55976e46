using System.Globalization;
using System.Text;

namespace Chat.Bench;

internal static class Report
{
    public static string Markdown(List<RateResult> results, RateResult? best, double seconds, string databaseProfile, List<RateResult> pairResults, RateResult? bestPairs, string pairsProfile)
    {
        var text = new StringBuilder();
        text.AppendLine("# Chat send latency");
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"`dotnet run -c Release --project bench/Chat.Bench` on {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}. ") +
            "PostgreSQL, Redis, Auth and Chat run on this machine (Chat in the benchmark process, on a real Kestrel port, single-node " +
            "profile: PostgreSQL message store, Redis Streams event log with the outbox relay publishing every `MessageSent`). " +
            "One WebSocket sends ~150-byte text frames into one direct conversation at a paced rate; the other participant's socket " +
            string.Create(CultureInfo.InvariantCulture, $"receives them. Each rate runs {seconds:0.#} s after a warm-up. ") +
            "*ack* is send → `ack` on the sending socket (after the group commit), *deliver* is send → `message` on the recipient's socket; " +
            "all times include the client on the same two cores. The PostgreSQL server is the test harness's throwaway one " +
            "(`fsync=off`, `synchronous_commit=off`): commits do not wait for the disk. With durable commits each batch (not each " +
            "message) adds one flush.");
        text.AppendLine();
        Table(text, results);

        text.AppendLine();
        text.AppendLine(best is null
            ? "No rate of the ramp (from 15,000/s) was sustained with send→deliver p99 ≤ 50 ms."
            : string.Create(CultureInfo.InvariantCulture,
                $"Highest sustained rate of the ramp (every message acked and delivered, deliver p99 ≤ 50 ms): **{best.OfferedRate:N0} msg/s** into one conversation."));
        text.AppendLine();
        text.AppendLine("✗ = not sustained (a message missing, p99 over 50 ms, or the client could not send at the offered rate). " +
            "Runs vary by ±10–15 % near saturation on this two-core machine.");
        text.AppendLine();
        text.AppendLine("## 100 conversations at once");
        text.AppendLine();
        text.AppendLine("The same, spread over 100 direct conversations (200 sockets: a sender and a recipient each), message i through conversation i mod 100.");
        text.AppendLine();
        Table(text, pairResults);
        text.AppendLine();
        text.AppendLine(bestPairs is null
            ? "No rate of the ramp was sustained with send→deliver p99 ≤ 50 ms."
            : string.Create(CultureInfo.InvariantCulture, $"Highest sustained rate of the ramp: **{bestPairs.OfferedRate:N0} msg/s** over 100 conversations."));
        text.AppendLine();
        text.AppendLine("## Where the database time goes (one conversation, 10,000 msg/s, statement log)");
        text.AppendLine();
        text.AppendLine("Server-side time per statement while one more 10,000/s run was logged (the logging itself adds to it). " +
            "The writer's statements are the lock-and-lookup batch, the seq `UPDATE … RETURNING`, the insert batch and `COMMIT`; the others are " +
            "the outbox relay (advisory lock, read, delete) and the consumers of the event log.");
        text.AppendLine();
        text.Append(databaseProfile);
        text.AppendLine();
        text.AppendLine("## Where the database time goes (100 conversations, 5,000 msg/s, statement log)");
        text.AppendLine();
        text.Append(pairsProfile);
        return text.ToString();
    }

    private static void Table(StringBuilder text, List<RateResult> results)
    {
        text.AppendLine("| offered msg/s | sent msg/s | ack p50 | ack p99 | deliver p50 | deliver p99 | deliver max | delivered | mean batch | mean batch time |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.OfferedRate:N0} | {r.SentRate:N0} | {r.AckP50:0.0} ms | {r.AckP99:0.0} ms | {r.DeliverP50:0.0} ms | {r.DeliverP99:0.0} ms | {r.DeliverMax:0.0} ms | {r.Delivered:N0}/{r.Messages:N0}{(r.Sustained ? "" : " ✗")} | {r.Writer.MeanSize:0.0} | {r.Writer.MeanMilliseconds:0.00} ms |"));
        }
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
}
