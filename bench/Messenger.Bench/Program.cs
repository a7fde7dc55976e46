using Messenger.Bench.Infrastructure;
using Messenger.Bench.Scenarios;

// bash scripts/bench.sh <scenario> [--option value]…  (the script builds Release and runs this)
var scenarios = new Dictionary<string, Func<BenchContext, Task>>(StringComparer.OrdinalIgnoreCase)
{
    ["chat-throughput"] = ChatThroughput.RunAsync,
    ["connections"] = Connections.RunAsync,
    ["history"] = History.RunAsync,
    ["auth"] = AuthThroughput.RunAsync,
    ["notify"] = Notify.RunAsync,
    ["relay"] = OutboxRelay.RunAsync,
    ["search"] = Search.RunAsync,
    ["profile-visible"] = ProfileVisible.RunAsync,
    ["soak"] = Soak.RunAsync,
    ["flood"] = Flood.RunAsync,
};

if (args is ["trace-summary", var path])
{
    // Summarises a saved dotnet-trace file the way the reports do.
    var summary = TraceSummary.Read(path);
    Console.WriteLine($"{summary.BusySamples} busy of {summary.Samples} samples");
    foreach (var (area, share) in summary.Areas)
    {
        Console.WriteLine($"{share,6:P0}  {area}");
    }

    foreach (var (method, share) in summary.Exclusive)
    {
        Console.WriteLine($"{share,6:P1}  {method}");
    }

    return 0;
}

if (args.Length > 0 && args[0] == "connections-worker")
{
    return await ConnectionsWorker.RunAsync(new BenchOptions(args.Skip(1)));
}

if (args.Length == 0 || !scenarios.ContainsKey(args[0]) && args[0] != "all")
{
    Console.Error.WriteLine($"usage: bash scripts/bench.sh <{string.Join('|', scenarios.Keys)}|all> [--quick] [--option value]…");
    return 2;
}

var options = new BenchOptions(args.Skip(1));
var machine = Machine.Read();
BenchContext.Say($"Machine: {machine.Describe()}");
var names = args[0] == "all" ? scenarios.Keys.ToList() : [args[0]];
var failures = new List<string>();
foreach (var name in names)
{
    var context = new BenchContext(name, options, machine);
    BenchContext.Say($"Scenario {name} (service logs in {context.LogDirectory})");
    try
    {
        await scenarios[name](context);
    }
    catch (Exception e) when (names.Count > 1)
    {
        // One broken scenario should not cost the others of an `all` run.
        failures.Add(name);
        Console.Error.WriteLine($"Scenario {name} failed: {e}");
    }
}

if (failures.Count > 0)
{
    Console.Error.WriteLine($"Failed scenarios: {string.Join(", ", failures)}");
    return 1;
}

foreach (var unread in options.Unread)
{
    Console.Error.WriteLine($"warning: option --{unread} is not used by {args[0]}");
}

return 0;
