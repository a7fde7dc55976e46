using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;
using Messenger.Bench.Reporting;
using Npgsql;
using User.Api.Data;

namespace Messenger.Bench.Scenarios;

/// <summary>
/// search: <c>GET /user/search</c> over a million made-up but realistic profiles (binary COPY, the
/// search indexes built afterwards), six kinds of query, one client and eight; with the plans of the
/// statements User runs.
/// </summary>
internal static class Search
{
    private const int PageSize = 20;
    private const int ParallelClients = 8;

    public static async Task RunAsync(BenchContext context)
    {
        var o = context.Options;
        var profiles = o.Int("profiles", 1_000_000, 100_000);
        var searches = o.Int("searches", 2_000, 500);
        var report = context.NewReport($"User search over {profiles:N0} profiles");
        await using var sampler = new ProcessSampler();
        var spec = context.Spec(new SystemSpec { Durable = context.Durable, User = true });
        report.Setup.Add(spec.DescribeDurability() + ".");
        report.Setup.Add("**System**: Auth and User as separate processes (Release, Production environment). Times are client-side over HTTP (request sent to " +
            "JSON body read), so they include Kestrel, authentication (JWT + revoked-session check in Redis) and serialization.");
        BenchContext.Say("Starting PostgreSQL, Redis, Auth and User");
        await using var system = await MessengerSystem.StartAsync(spec, sampler, context.LogDirectory);
        using var auth = MessengerClient.Http(system.Auth.BaseAddress);
        var searcher = await MessengerClient.RegisterAsync(auth, MessengerClient.NewUsername("searcher"));
        var friend = await MessengerClient.RegisterAsync(auth, MessengerClient.NewUsername("friend"));
        using var users = MessengerClient.Http(system.Service("user").BaseAddress, searcher.AccessToken);
        await ProfileVisible.WaitForProfileAsync(users, searcher.Username);

        BenchContext.Say($"Loading {profiles:N0} profiles with COPY");
        var database = system.Databases["users"];
        var loader = new ProfileLoader(database);
        var load = await loader.LoadAsync(profiles, [friend.UserId], searcher.UserId);
        BenchContext.Say($"Copied in {load.CopyTime.TotalSeconds:0.0} s, indexes built in {load.IndexTime.TotalSeconds:0.0} s");

        var workload = new SearchWorkload(loader.SampleUsernames);
        HttpClient Client() => MessengerClient.Http(system.Service("user").BaseAddress, searcher.AccessToken);
        await workload.RunAsync(Client, 300, 1, PageSize);
        BenchContext.Say($"Measuring {searches:N0} searches, one client");
        var sequential = await workload.RunAsync(Client, searches, 1, PageSize);
        BenchContext.Say($"Measuring {searches * 2:N0} searches, {ParallelClients} clients");
        var watch = Stopwatch.StartNew();
        var parallel = await workload.RunAsync(Client, searches * 2, ParallelClients, PageSize);
        var parallelElapsed = watch.Elapsed;

        var plans = new List<(string Label, string Query, string Plan)>
        {
            ("Prefix matches of a common first name (first page)", "olivia", await ExplainAsync(database, ProfileSearch.Build(0, searcher.UserId, "olivia", null, PageSize + 1)!.Value)),
            ("Prefix matches of a name with a typo at the end, less its last two letters (first page)", "mattheg", await ExplainAsync(database, ProfileSearch.Build(1, searcher.UserId, "mattheg", null, PageSize + 1)!.Value)),
            ("Word-similarity matches of a name with a typo in the middle", "chirstopher", await ExplainAsync(database, ProfileSearch.Build(2, searcher.UserId, "chirstopher", null, PageSize + 1)!.Value)),
        };

        Write(report, load, sequential, parallel, parallelElapsed, plans, searches);
        await report.WriteAsync();
    }

    private static void Write(Report report, LoadReport load, List<SearchSample> sequential, List<SearchSample> parallel, TimeSpan parallelElapsed,
        List<(string Label, string Query, string Plan)> plans, int searches)
    {
        var all = new Latencies(sequential.Select(s => s.Elapsed));
        report.Json["headline"] = $"p50 {all.Percentile(50):0.0} ms, p99 {all.Percentile(99):0.0} ms over {load.Profiles:N0} profiles (one client)";
        report.Heading("Data");
        report.Paragraph($"{load.Profiles:N0} profiles made from {ProfileLoader.FirstNames.Length} first names × {ProfileLoader.LastNames.Length} last names " +
            "(usernames like `olivia.smith`, `oliviasmith`, `osmith`, `smith.olivia`, `olivia`, with digits when taken; display names " +
            "`Olivia Smith`, `Olivia S.` or `Olivia`), so a common name matches thousands of people. 88 % searchable by everyone, " +
            $"10 % by friends of friends, 2 % by nobody; {load.FriendEdges:N0} friend edges. Loaded with binary COPY in " +
            $"{load.CopyTime.TotalSeconds:0.0} s; the {load.Indexes.Count} search indexes ({string.Join(", ", load.Indexes.Select(i => $"`{i}`"))}) " +
            $"built afterwards in {load.IndexTime.TotalSeconds:0.0} s.");
        report.Heading("Search latency");
        report.Paragraph($"`GET /user/search?q=…&limit={PageSize}` by a user with friends (so the friends-of-friends check runs), after 300 " +
            $"warm-up searches. Queries are drawn evenly from six kinds taken from the loaded names. One client: {searches:N0} searches " +
            $"one after another. {ParallelClients} clients: {searches * 2:N0} searches, {ParallelClients} at a time, " +
            $"{parallel.Count / parallelElapsed.TotalSeconds:N0} searches/s overall.");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var kind in SearchWorkload.Kinds.Append("all"))
        {
            var one = sequential.Where(s => kind == "all" || s.Kind == kind).ToList();
            var many = parallel.Where(s => kind == "all" || s.Kind == kind).ToList();
            var a = new Latencies(one.Select(s => s.Elapsed));
            var b = new Latencies(many.Select(s => s.Elapsed));
            var hits = one.Select(s => s.Hits).Order().ElementAt(one.Count / 2);
            rows.Add([kind == "all" ? "**all**" : kind, a.Count.ToString("N0", CultureInfo.InvariantCulture), F(a.Percentile(50)), F(a.Percentile(90)), F(a.Percentile(99)), F(a.Max),
                hits.ToString(CultureInfo.InvariantCulture), F(b.Percentile(50)), F(b.Percentile(99))]);
        }

        report.Table(["queries", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "hits (median)", $"p50 ms, {ParallelClients} clients", $"p99 ms, {ParallelClients} clients"], rows, "l");
        Charts.Bars(report, "search-p99.png", "Search p99 by kind of query (one client)", "ms",
            [.. SearchWorkload.Kinds.Select(k => (k, new Latencies(sequential.Where(s => s.Kind == k).Select(s => s.Elapsed)).Percentile(99)))]);
        report.Image("search-p99.png", "p99 per kind of query");
        var misspelled = sequential.Where(s => s.Kind == "misspelled name").ToList();
        report.Paragraph($"Misspelled names (one letter swapped with the next, or replaced): {100.0 * misspelled.Count(s => s.FoundMeant) / Math.Max(1, misspelled.Count):0} % " +
            $"of the searches showed someone with the intended name on the first page; {100.0 * misspelled.Count(s => s.Hits > 0) / Math.Max(1, misspelled.Count):0} % found anyone.");
        report.Paragraph("Slowest searches of the one-client run:");
        report.Bullets(sequential.OrderByDescending(s => s.Elapsed).Take(8).Select(s => $"`{s.Query}` ({s.Kind}): {s.Elapsed.TotalMilliseconds:0} ms, {s.Hits} hits"));
        report.Heading("Plans");
        report.Paragraph("`EXPLAIN (ANALYZE, BUFFERS)` of the statements the service runs, for the same searcher, on the loaded table (after the measurements, so caches are warm).");
        foreach (var (label, query, plan) in plans)
        {
            report.Paragraph($"{label}, `q={query}`:");
            report.Code(plan);
        }

        report.Json["load"] = JsonSerializer.SerializeToNode(new { load.Profiles, load.FriendEdges, CopySeconds = load.CopyTime.TotalSeconds, IndexSeconds = load.IndexTime.TotalSeconds }, Report.JsonOptions);
        report.Json["searches"] = JsonSerializer.SerializeToNode(SearchWorkload.Kinds.Append("all").Select(k =>
        {
            var l = new Latencies(sequential.Where(s => k == "all" || s.Kind == k).Select(s => s.Elapsed));
            var m = new Latencies(parallel.Where(s => k == "all" || s.Kind == k).Select(s => s.Elapsed));
            return new { Kind = k, l.Count, P50 = l.Percentile(50), P90 = l.Percentile(90), P99 = l.Percentile(99), l.Max, ParallelP50 = m.Percentile(50), ParallelP99 = m.Percentile(99) };
        }), Report.JsonOptions);

        static string F(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
    }

    private static async Task<string> ExplainAsync(string connectionString, (string Sql, NpgsqlParameter[] Parameters) statement)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement.Sql, connection);
        command.Parameters.AddRange(statement.Parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var plan = new StringBuilder();
        while (await reader.ReadAsync())
        {
            plan.AppendLine(reader.GetString(0));
        }

        return plan.ToString();
    }
}

/// <summary>
/// profile-visible: from Auth's 201 for <c>POST /register</c> until <c>GET /user/{username}</c> first
/// answers 200 (polled back to back over HTTP, one registration at a time): Auth's outbox relay, the
/// event log, and User's consumer creating the profile — on Redis Streams and on Kafka.
/// </summary>
internal static class ProfileVisible
{
    public static async Task RunAsync(BenchContext context)
    {
        var registrations = context.Options.Int("registrations", 200, 50);
        var report = context.NewReport("Registration → visible profile");
        await using var sampler = new ProcessSampler();
        var results = new List<(string Transport, List<TimeSpan> Samples)>();
        foreach (var transport in new[] { "redis", "kafka" })
        {
            using var eventLog = transport == "kafka" ? Messenger.Testing.Services.TestEventLog.Kafka() : null;
            var spec = context.Spec(new SystemSpec { Durable = context.Durable, User = true, EventLog = eventLog });
            if (results.Count == 0)
            {
                report.Setup.Add(spec.DescribeDurability() + ".");
            }

            BenchContext.Say($"Starting PostgreSQL, Redis, Auth and User ({transport})");
            await using var system = await MessengerSystem.StartAsync(spec, sampler, context.LogDirectory);
            var auth = system.Auth.BaseAddress;
            var users = system.Service("user").BaseAddress;
            await MeasureAsync(auth, users, 20);
            results.Add((transport == "redis" ? "Redis Streams" : "Kafka (librdkafka mock broker)", await MeasureAsync(auth, users, registrations)));
            var l = new Latencies(results[^1].Samples);
            BenchContext.Say($"{transport}: p50 {l.Percentile(50):0.0} ms, p99 {l.Percentile(99):0.0} ms");
        }

        report.Setup.Add("**System**: Auth and User as separate processes (Release, Production environment), fresh databases; on Kafka both services talk to " +
            "librdkafka's mock broker, which runs inside the benchmark process.");
        report.Paragraph("From Auth's `201` for `POST /register` until `GET /user/{username}` first answers `200` (polled back to back over HTTP, one registration " +
            "at a time): Auth's outbox relay, the event log, and User's consumer creating the profile. 20 unmeasured registrations first (consumer group joins, JIT).");
        report.Table(["event log", "n", "min ms", "p50 ms", "p90 ms", "p99 ms", "max ms", "under 100 ms", "under 1 s"],
            results.Select(r =>
            {
                var l = new Latencies(r.Samples);
                return (IReadOnlyList<string>)[r.Transport, l.Count.ToString(CultureInfo.InvariantCulture), F(l.Min), F(l.Percentile(50)), F(l.Percentile(90)), F(l.Percentile(99)), F(l.Max),
                    $"{100.0 * l.CountBelow(100) / l.Count:0} %", $"{100.0 * l.CountBelow(1000) / l.Count:0} %"];
            }), "l");
        report.Paragraph("The Kafka row measures librdkafka's mock broker more than the services: it answers a consumer's fetch only when `fetch.wait.max.ms` " +
            "(librdkafka's default, 500 ms; the event bus does not set it) runs out, even when data has arrived. A real broker answers as soon as data arrives.");
        var redis = new Latencies(results[0].Samples);
        report.Json["headline"] = $"Redis Streams p50 {redis.Percentile(50):0.0} ms, p99 {redis.Percentile(99):0.0} ms";
        report.Json["results"] = JsonSerializer.SerializeToNode(results.Select(r =>
        {
            var l = new Latencies(r.Samples);
            return new { r.Transport, l.Count, l.Min, P50 = l.Percentile(50), P90 = l.Percentile(90), P99 = l.Percentile(99), l.Max };
        }), Report.JsonOptions);
        await report.WriteAsync();

        static string F(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
    }

    private static async Task<List<TimeSpan>> MeasureAsync(Uri authService, Uri userService, int registrations)
    {
        using var auth = MessengerClient.Http(authService);
        var viewer = await MessengerClient.RegisterAsync(auth, MessengerClient.NewUsername("viewer"));
        using var users = MessengerClient.Http(userService, viewer.AccessToken);
        var samples = new List<TimeSpan>(registrations);
        for (var i = 0; i < registrations; i++)
        {
            var username = MessengerClient.NewUsername("reg");
            await MessengerClient.RegisterAsync(auth, username);
            var watch = Stopwatch.StartNew();
            await WaitForProfileAsync(users, username, watch);
            samples.Add(watch.Elapsed);
        }

        return samples;
    }

    public static async Task WaitForProfileAsync(HttpClient users, string username, Stopwatch? watch = null)
    {
        watch ??= Stopwatch.StartNew();
        while (true)
        {
            using var response = await users.GetAsync("/user/" + username);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"The profile of {username} did not appear within 30 s.");
            }
        }
    }
}
