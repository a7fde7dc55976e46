using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;
using Messenger.Bench.Reporting;
using Npgsql;
using NpgsqlTypes;
using static Messenger.Bench.Reporting.Format;

namespace Messenger.Bench.Scenarios;

/// <summary>
/// history: M messages stored (binary COPY in Chat's own schema, realistic text lengths, spread over
/// many conversations with one big one), then <c>GET /chat/{id}</c> pages timed over HTTP: the newest
/// page, deep <c>before=</c> pages of the big conversation, pages of an ordinary one.
/// </summary>
internal static class History
{
    private const double TargetP99Ms = 10;
    private const int TargetMessages = 10_000_000;

    private static readonly string[] Words = (
        "the be to of and a in that have I it for not on with he as you do at this but his by from they we say her she or an will my one all " +
        "would there their what so up out if about who get which go me when make can like time no just him know take people into year your good " +
        "some could them see other than then now look only come its over think also back after use two how our work first well way even new want " +
        "because any these give day most us ok yes thanks lol tomorrow tonight meeting coffee lunch later sure great see you soon call me " +
        "привет как дела завтра встреча 明天 见 谢谢 hola gracias mañana").Split(' ');

    public static async Task RunAsync(BenchContext context)
    {
        var o = context.Options;
        var messages = o.Int("messages", TargetMessages, 1_000_000);
        var conversations = o.Int("conversations", 20_000, 2_000);
        var bigShare = o.Double("big-share", 0.2, 0.2);
        var ordinary = o.Int("ordinary-messages", 5_000, 5_000);
        var requests = o.Int("requests", 2_000, 1_000);
        var clients = o.Int("clients", 8, 8);
        var report = context.NewReport($"History pages with {messages:N0} messages stored");
        await using var sampler = new ProcessSampler();
        sampler.Watch("generator", Environment.ProcessId);
        var spec = context.Spec(new SystemSpec { Durable = context.Durable, ChatInstances = 1 });
        report.Setup.Add(spec.DescribeDurability() + $"; PostgreSQL settings {string.Join(", ", SystemSpec.PostgresSettings.Select(s => $"`{s.Key}={s.Value}`"))}.");
        report.Setup.Add("**System**: Auth and Chat as separate processes (Release, Production environment, single-node profile: messages in PostgreSQL).");

        BenchContext.Say("Starting PostgreSQL, Redis, Auth and Chat");
        await using var system = await MessengerSystem.StartAsync(spec, sampler, context.LogDirectory);
        var users = await MessengerClient.RegisterManyAsync(system.Auth.BaseAddress, 3, "reader");
        var (alice, bob, carol) = (users[0], users[1], users[2]);
        var big = await MessengerClient.OpenDirectAsync(system.Chat.BaseAddress, alice, bob.UserId);
        var small = await MessengerClient.OpenDirectAsync(system.Chat.BaseAddress, alice, carol.UserId);
        var database = system.Databases["chat"];

        BenchContext.Say($"Loading {messages:N0} messages with COPY");
        var load = await LoadAsync(database, messages, conversations, bigShare, ordinary, (big, [alice.UserId, bob.UserId]), (small, [alice.UserId, carol.UserId]));
        BenchContext.Say($"Loaded in {load.Copy.TotalSeconds:0} s, indexes in {load.Indexes.TotalSeconds:0} s, vacuum/analyze in {load.Vacuum.TotalSeconds:0} s; table {load.TableBytes / 1e9:0.0} GB, indexes {load.IndexBytes / 1e9:0.0} GB");

        using var http = MessengerClient.Http(system.Chat.BaseAddress, alice.AccessToken);
        var random = new Random(11);
        var bigLast = load.LastSeq[big];
        var smallLast = load.LastSeq[small];
        var kinds = new List<(string Kind, Func<string> Path)>
        {
            ("newest page, big conversation", () => $"/chat/{big}?limit=50"),
            ("deep page (random before=), big conversation", () => $"/chat/{big}?limit=50&before={random.NextInt64(2, bigLast + 1)}"),
            ("oldest pages (after=), big conversation", () => $"/chat/{big}?limit=50&after={random.NextInt64(0, Math.Min(bigLast, 1_000))}"),
            ("newest page, ordinary conversation", () => $"/chat/{small}?limit=50"),
            ("deep page, ordinary conversation", () => $"/chat/{small}?limit=50&before={random.NextInt64(2, smallLast + 1)}"),
        };

        BenchContext.Say("Warming up");
        foreach (var (_, path) in kinds)
        {
            await TimeAsync(http, path, 100, 1);
        }

        var results = new List<(string Kind, int Clients, Percentiles Latency, double PerSecond, IReadOnlyList<ProcessUse> Use)>();
        foreach (var (kind, path) in kinds)
        {
            foreach (var c in new[] { 1, clients })
            {
                var window = sampler.Begin();
                var (latencies, perSecond) = await TimeAsync(http, path, requests, c);
                var result = (kind, c, Percentiles.Of(latencies), perSecond, window.End());
                results.Add(result);
                BenchContext.Say($"{kind}, {c} client(s): p50 {result.Item3.P50:0.00} ms p99 {result.Item3.P99:0.00} ms max {result.Item3.Max:0.0} ms, {perSecond:N0}/s");
            }
        }

        // Server-side view of the same requests: Kestrel's request duration and Npgsql's command time inside Chat.
        BenchContext.Say("Deep pages again with dotnet-counters on Chat");
        var counters = Profiler.CountersAsync(system.Chat.Pid, TimeSpan.FromSeconds(6), Path.Combine(report.RawFolder, "chat-history-counters.json"),
            "Microsoft.AspNetCore.Hosting,Npgsql,System.Runtime");
        await Task.Delay(1_500);
        var (profiledLatencies, _) = await TimeAsync(http, kinds[1].Path, requests, 1);
        var (means, countersProblem) = await counters;
        var plan = await ExplainAsync(database, big, bigLast / 2);
        Write(report, messages, load, results, plan, requests, clients, bigLast, smallLast);
        WriteServerSide(report, Percentiles.Of(profiledLatencies), means, countersProblem);
        await report.WriteAsync();
    }

    private static void WriteServerSide(Report report, Percentiles client, Dictionary<string, double> counters, string? problem)
    {
        report.Heading("Where a page's time goes");
        if (problem is not null)
        {
            report.Paragraph("dotnet-counters could not be collected: " + problem);
            return;
        }

        report.Paragraph($"Deep pages of the big conversation once more (one client; client-side p50 {client.P50:0.00} ms, p99 {client.P99:0.00} ms) with " +
            "`dotnet-counters` attached to Chat: the server's own request time (Kestrel's `http.server.request.duration`, from the request read to the response " +
            "written) and Npgsql's time per command, means of the percentiles reported each second. Client-side time minus the server's request time is the " +
            "client, the loopback network and the generator sharing the cores.");
        report.Table(["counter", "mean"],
            counters.Where(c => c.Key.Contains("duration", StringComparison.Ordinal) || c.Key.Contains("cpu.time", StringComparison.Ordinal) || c.Key.Contains("gc.pause", StringComparison.Ordinal))
                .OrderBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => (IReadOnlyList<string>)[$"`{CounterNames.Short(c.Key)}`", c.Value.ToString("G4", CultureInfo.InvariantCulture)]), "l");
        report.Json["serverSide"] = JsonSerializer.SerializeToNode(new { client, counters }, Report.JsonOptions);
    }

    private static async Task<(List<double> Latencies, double PerSecond)> TimeAsync(HttpClient http, Func<string> path, int count, int clients)
    {
        var latencies = new double[count];
        var next = -1;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                string url;
                lock (path)
                {
                    url = path();
                }

                var t = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(url);
                var body = await response.Content.ReadAsByteArrayAsync();
                latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK || body.Length < 20)
                {
                    throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
                }
            }
        })));
        return ([.. latencies], count / Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    internal sealed record LoadResult(int Messages, int Conversations, Dictionary<Guid, long> LastSeq, TimeSpan Copy, TimeSpan Indexes, TimeSpan Vacuum,
        long TableBytes, long IndexBytes, double MeanContentBytes, List<string> IndexNames);

    /// <summary>
    /// Synthetic users and direct conversations, then the messages in time order (UUIDv7 ids rising with
    /// time): a share in the big conversation, <paramref name="ordinary"/> in the second real one, the rest
    /// spread unevenly over the synthetic ones. Secondary indexes are dropped for the COPY and rebuilt.
    /// </summary>
    private static async Task<LoadResult> LoadAsync(string connectionString, int messages, int conversationCount, double bigShare, int ordinary,
        (Guid Id, Guid[] Members) big, (Guid Id, Guid[] Members) small)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var random = new Random(42);
        var members = new Dictionary<Guid, Guid[]> { [big.Id] = big.Members, [small.Id] = small.Members };
        var start = DateTimeOffset.UtcNow.AddDays(-365);
        var synthetic = new List<Guid>(conversationCount);
        await using (var users = await connection.BeginBinaryImportAsync("COPY users (id, username, display_name) FROM STDIN (FORMAT BINARY)"))
        {
            var userIds = new Guid[conversationCount / 2 + 2];
            for (var i = 0; i < userIds.Length; i++)
            {
                userIds[i] = Guid.CreateVersion7(start);
                await users.WriteRowAsync(default, userIds[i], $"hist{i}", $"History User {i}");
            }

            await users.CompleteAsync();
            for (var i = 0; i < conversationCount; i++)
            {
                var a = userIds[random.Next(userIds.Length)];
                var b = userIds[random.Next(userIds.Length)];
                var id = Guid.CreateVersion7(start);
                synthetic.Add(id);
                members[id] = [a, b == a ? userIds[(Array.IndexOf(userIds, a) + 1) % userIds.Length] : b];
            }
        }

        await using (var rows = await connection.BeginBinaryImportAsync("COPY conversations (id, type, created_by, created_at, last_seq, last_activity_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var id in synthetic)
            {
                await rows.WriteRowAsync(default, id, "direct", members[id][0], start, 0L, start);
            }

            await rows.CompleteAsync();
        }

        await using (var rows = await connection.BeginBinaryImportAsync("COPY conversation_members (conversation_id, user_id, role, joined_at, last_read_seq) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var id in synthetic)
            {
                foreach (var user in members[id])
                {
                    await rows.WriteRowAsync(default, id, user, "member", start, 0L);
                }
            }

            await rows.CompleteAsync();
        }

        var indexes = await ReadIndexesAsync(connection);
        foreach (var (name, _) in indexes)
        {
            await ExecuteAsync(connection, $"DROP INDEX {name}");
        }

        // Conversation sizes follow a skewed distribution (a few busy ones, many quiet ones).
        var weights = synthetic.Select(_ => Math.Pow(random.NextDouble(), 3) + 0.01).ToArray();
        var cumulative = new double[weights.Length];
        var total = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            total += weights[i];
            cumulative[i] = total;
        }

        var lastSeq = members.Keys.ToDictionary(k => k, _ => 0L);
        var bigCount = (int)(messages * bigShare);
        var copy = Stopwatch.StartNew();
        long contentBytes = 0;
        // Synchronous writes: the per-value async overhead would make the client the bottleneck of the load.
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY messages (id, conversation_id, seq, sender_id, client_message_id, content, sent_at) FROM STDIN (FORMAT BINARY)"))
        {
            var span = TimeSpan.FromDays(365).Ticks;
            for (var i = 0; i < messages; i++)
            {
                var at = start.AddTicks(span / messages * i);
                Guid conversation;
                var pick = random.Next(messages);
                if (pick < bigCount)
                {
                    conversation = big.Id;
                }
                else if (pick < bigCount + ordinary)
                {
                    conversation = small.Id;
                }
                else
                {
                    var index = Array.BinarySearch(cumulative, random.NextDouble() * total);
                    conversation = synthetic[Math.Min(index < 0 ? ~index : index, synthetic.Count - 1)];
                }

                var seq = ++lastSeq[conversation];
                var pair = members[conversation];
                var content = Content(random);
                contentBytes += content.Length;
                importer.StartRow();
                importer.Write(Guid.CreateVersion7(at), NpgsqlDbType.Uuid);
                importer.Write(conversation, NpgsqlDbType.Uuid);
                importer.Write(seq, NpgsqlDbType.Bigint);
                importer.Write(pair[random.Next(2)], NpgsqlDbType.Uuid);
                importer.Write("h" + i.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Varchar);
                importer.Write(content, NpgsqlDbType.Jsonb);
                importer.Write(at, NpgsqlDbType.TimestampTz);
                if (i % 1_000_000 == 999_999)
                {
                    BenchContext.Say($"  {i + 1:N0} messages copied");
                }
            }

            await importer.CompleteAsync();
        }

        copy.Stop();
        var build = Stopwatch.StartNew();
        await ExecuteAsync(connection, "SET maintenance_work_mem = '1GB'");
        foreach (var (name, definition) in indexes)
        {
            BenchContext.Say($"  building {name}");
            await ExecuteAsync(connection, definition);
        }

        build.Stop();
        await using (var command = new NpgsqlCommand(
            "UPDATE conversations c SET last_seq = v.seq, last_activity_at = now() FROM unnest($1::uuid[], $2::bigint[]) AS v(id, seq) WHERE c.id = v.id", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = lastSeq.Keys.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = lastSeq.Values.ToArray() });
            command.CommandTimeout = 0;
            await command.ExecuteNonQueryAsync();
        }

        var vacuum = Stopwatch.StartNew();
        await ExecuteAsync(connection, "VACUUM (ANALYZE) messages");
        await ExecuteAsync(connection, "ANALYZE");
        vacuum.Stop();
        await using var sizes = new NpgsqlCommand("SELECT pg_table_size('messages'), pg_indexes_size('messages')", connection);
        await using var reader = await sizes.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new LoadResult(messages, conversationCount + 2, lastSeq, copy.Elapsed, build.Elapsed, vacuum.Elapsed, reader.GetInt64(0), reader.GetInt64(1),
            (double)contentBytes / messages, [.. indexes.Select(i => i.Name)]);
    }

    /// <summary>Text of chat-like lengths (mostly short, a long tail), now and then an image with a caption.</summary>
    private static string Content(Random random)
    {
        var words = (int)Math.Clamp(Math.Exp(random.NextDouble() * 3.2) + random.Next(3), 1, 120);
        var text = new StringBuilder();
        for (var w = 0; w < words; w++)
        {
            if (w > 0)
            {
                text.Append(' ');
            }

            text.Append(Words[random.Next(Words.Length)]);
        }

        var escaped = JsonEncodedText.Encode(text.ToString()).ToString();
        return random.Next(20) == 0
            ? $"{{\"kind\":\"image\",\"url\":\"https://cdn.example.org/{random.Next():x}.jpg\",\"name\":\"photo.jpg\",\"size\":{random.Next(20_000, 4_000_000)},\"mimeType\":\"image/jpeg\",\"text\":\"{escaped}\"}}"
            : $"{{\"kind\":\"text\",\"text\":\"{escaped}\"}}";
    }

    private static async Task<string> ExplainAsync(string connectionString, Guid conversation, long before)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id, conversation_id, seq, sender_id, client_message_id, content::text, sent_at, edited_at, deleted_at, reply_to, reactions::text " +
            "FROM messages WHERE conversation_id = $1 AND seq < $2 AND seq > $3 ORDER BY seq DESC LIMIT $4", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = conversation });
        command.Parameters.Add(new NpgsqlParameter { Value = before });
        command.Parameters.Add(new NpgsqlParameter { Value = 0L });
        command.Parameters.Add(new NpgsqlParameter { Value = 51 });
        await using var reader = await command.ExecuteReaderAsync();
        var plan = new StringBuilder();
        while (await reader.ReadAsync())
        {
            plan.AppendLine(reader.GetString(0));
        }

        return plan.ToString();
    }

    private static async Task<List<(string Name, string Definition)>> ReadIndexesAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'messages' AND indexname LIKE 'ix_%' ORDER BY indexname", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var indexes = new List<(string, string)>();
        while (await reader.ReadAsync())
        {
            indexes.Add((reader.GetString(0), reader.GetString(1)));
        }

        return indexes;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private static void Write(Report report, int messages, LoadResult load, List<(string Kind, int Clients, Percentiles Latency, double PerSecond, IReadOnlyList<ProcessUse> Use)> results,
        string plan, int requests, int clients, long bigLast, long smallLast)
    {
        var deep = results.Where(r => r.Kind.StartsWith("deep page (random", StringComparison.Ordinal) && r.Clients == 1).Select(r => r.Latency.P99).FirstOrDefault(double.NaN);
        var worst = results.Where(r => r.Clients == 1).Max(r => r.Latency.P99);
        report.Targets.Add(new TargetResult($"history page p99 ≤ {TargetP99Ms:0} ms with {TargetMessages:N0} messages stored",
            $"{Ms(worst)} ms (worst kind, one client) with {messages:N0} stored; deep pages {Ms(deep)} ms", TargetP99Ms / worst, worst <= TargetP99Ms && messages >= TargetMessages,
            messages < TargetMessages ? $"only {messages:N0} stored in this run" : "ratio = 10 ms / p99"));
        report.Json["headline"] = $"page p99 {Ms(worst)} ms (one client) with {messages:N0} messages";
        report.Heading("Data");
        report.Paragraph($"{messages:N0} messages in {load.Conversations:N0} conversations, loaded with binary COPY into Chat's `messages` table (its own schema: " +
            $"the stored `tsvector` column is computed on insert) in {load.Copy.TotalSeconds:N0} s; the secondary indexes ({string.Join(", ", load.IndexNames.Select(n => $"`{n}`"))}) " +
            $"were dropped for the load and rebuilt in {load.Indexes.TotalSeconds:N0} s, then `VACUUM (ANALYZE)` ({load.Vacuum.TotalSeconds:N0} s). Table {load.TableBytes / 1e9:0.00} GB, " +
            $"indexes {load.IndexBytes / 1e9:0.00} GB. Contents are chat-like: word counts from a skewed distribution (mean JSON content {load.MeanContentBytes:0} bytes), " +
            "1 in 20 an image with a caption, ids UUIDv7 in time order over a year.");
        report.Bullets([
            $"the big conversation (the reader's, with one other person): {bigLast:N0} messages",
            $"an ordinary conversation of the reader: {smallLast:N0} messages",
            $"{load.Conversations - 2:N0} other conversations between made-up users share the rest, unevenly (a few busy, many quiet)",
        ]);
        report.Heading("Page latency");
        report.Paragraph($"`GET /chat/{{id}}?limit=50` by a participant over HTTP (client-side time: request sent → body read, so Kestrel, JWT validation, " +
            $"the membership check and JSON are included), {requests:N0} requests per row after 100 warm-up requests per kind; one client, then {clients} at once. " +
            "Caches are warm (shared_buffers 1 GB plus the OS page cache).");
        report.Table(["kind", "clients", "p50 ms", "p90 ms", "p99 ms", "max ms", "pages/s", "CPU chat", "CPU postgres", "CPU generator"],
            results.Select(r => (IReadOnlyList<string>)[r.Kind, r.Clients.ToString(CultureInfo.InvariantCulture), r.Latency.P50.ToString("0.00", CultureInfo.InvariantCulture),
                r.Latency.P90.ToString("0.00", CultureInfo.InvariantCulture), r.Latency.P99.ToString("0.00", CultureInfo.InvariantCulture), Ms(r.Latency.Max), N(r.PerSecond),
                Pct(r.Use.FirstOrDefault(u => u.Name == "chat")?.CpuPercent ?? double.NaN), Pct(r.Use.FirstOrDefault(u => u.Name == "postgres")?.CpuPercent ?? double.NaN),
                Pct(r.Use.FirstOrDefault(u => u.Name == "generator")?.CpuPercent ?? double.NaN)]), "l");
        Charts.Bars(report, "history-p99.png", "History page p99 (one client)", "ms", [.. results.Where(r => r.Clients == 1).Select(r => (r.Kind.Replace(", ", "\n", StringComparison.Ordinal), r.Latency.P99))]);
        report.Image("history-p99.png", "p99 per kind of page");
        report.Heading("Plan of a deep page");
        report.Paragraph("`EXPLAIN (ANALYZE, BUFFERS)` of the statement Chat runs for a page in the middle of the big conversation: an index scan on " +
            "(conversation_id, seq) that stops after 51 rows, whatever the table's size.");
        report.Code(plan);
        report.Json["load"] = JsonSerializer.SerializeToNode(new { load.Messages, load.Conversations, CopySeconds = load.Copy.TotalSeconds, IndexSeconds = load.Indexes.TotalSeconds, load.TableBytes, load.IndexBytes, bigLast, smallLast }, Report.JsonOptions);
        report.Json["results"] = JsonSerializer.SerializeToNode(results.Select(r => new { r.Kind, r.Clients, r.Latency, r.PerSecond, r.Use }), Report.JsonOptions);
    }
}
