using System.Diagnostics;
using System.Globalization;
using System.Text;
using Directory.Bench;
using Messenger.Testing;
using Messenger.Testing.Services;
using Npgsql;
using User.Api.Data;

// Usage: dotnet run -c Release --project bench/Directory.Bench [-- profiles searches registrations]
var profiles = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var searches = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000;
var registrations = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
const int PageSize = 20;

// WebApplicationFactory finds the services' content roots through the manifest beside this program,
// looked up relative to the working directory.
System.IO.Directory.SetCurrentDirectory(AppContext.BaseDirectory);

const int ParallelClients = 8;

var servers = new TestServers();
await servers.InitializeAsync();
var report = new Report();
try
{
    Console.WriteLine("Starting Auth and User (Redis Streams).");
    await using (var system = await DirectorySystem.StartAsync(servers, TestEventLog.Redis()))
    {
        using var auth = system.Auth.CreateClient();
        var searcher = await auth.RegisterAsync(AuthClient.NewUsername("searcher"));
        var friend = await auth.RegisterAsync(AuthClient.NewUsername("friend"));
        await WaitForProfileAsync(system, searcher);

        Console.WriteLine($"Loading {profiles:N0} profiles with COPY.");
        var loader = new ProfileLoader(system.Users.DatabaseConnectionString!);
        var load = await loader.LoadAsync(profiles, [friend.UserId], searcher.UserId);
        report.Load = load;
        Console.WriteLine($"Copied in {load.CopyTime.TotalSeconds:0.0} s, indexes built in {load.IndexTime.TotalSeconds:0.0} s.");

        var workload = new SearchWorkload(loader.SampleUsernames);
        HttpClient Client() => system.Users.CreateClient(searcher.AccessToken);
        await workload.RunAsync(Client, 300, 1, PageSize); // warm-up: JIT, connection pools, caches
        Console.WriteLine($"Measuring {searches:N0} searches, one client.");
        report.Sequential = await workload.RunAsync(Client, searches, 1, PageSize);
        Console.WriteLine($"Measuring {searches * 2:N0} searches, {ParallelClients} clients.");
        var parallel = Stopwatch.StartNew();
        report.Parallel = await workload.RunAsync(Client, searches * 2, ParallelClients, PageSize);
        report.ParallelElapsed = parallel.Elapsed;

        var connection = system.Users.DatabaseConnectionString!;
        report.Plans.Add(("Prefix matches of a common first name (first page)", "olivia",
            await ExplainAsync(connection, ProfileSearch.Build(0, searcher.UserId, "olivia", null, PageSize + 1)!.Value)));
        report.Plans.Add(("Prefix matches of a name with a typo at the end, less its last two letters (first page)", "mattheg",
            await ExplainAsync(connection, ProfileSearch.Build(1, searcher.UserId, "mattheg", null, PageSize + 1)!.Value)));
        report.Plans.Add(("Word-similarity matches of a name with a typo in the middle", "chirstopher",
            await ExplainAsync(connection, ProfileSearch.Build(2, searcher.UserId, "chirstopher", null, PageSize + 1)!.Value)));

        Console.WriteLine($"Measuring {registrations} registrations → visible profile (Redis Streams, {profiles:N0} profiles loaded).");
        report.Registrations.Add(("Redis Streams", profiles, await RegistrationLatency.MeasureAsync(system, registrations)));
    }

    Console.WriteLine($"Measuring {registrations} registrations → visible profile (Kafka).");
    await using (var kafka = await DirectorySystem.StartAsync(servers, TestEventLog.Kafka()))
    {
        await RegistrationLatency.MeasureAsync(kafka, 20); // warm-up: consumer group joins, JIT
        report.Registrations.Add(("Kafka (librdkafka mock broker)", 0, await RegistrationLatency.MeasureAsync(kafka, registrations)));
    }
}
finally
{
    await servers.DisposeAsync();
}

var markdown = report.ToMarkdown(searches, PageSize, ParallelClients);
Console.WriteLine();
Console.WriteLine(markdown);
var path = Path.Combine(Report.RepositoryRoot(), "bench", "results", "directory-search.md");
await File.WriteAllTextAsync(path, markdown, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
Console.WriteLine($"Written to {path}");
return 0;

static async Task WaitForProfileAsync(DirectorySystem system, Tokens user)
{
    using var client = system.Users.CreateClient(user.AccessToken);
    while ((await client.GetAsync("/user/" + user.Username)).StatusCode != System.Net.HttpStatusCode.OK)
    {
        await Task.Delay(10);
    }
}

static async Task<string> ExplainAsync(string connectionString, (string Sql, NpgsqlParameter[] Parameters) statement)
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
