// Summarises the TRX files that `dotnet test` wrote, for scripts/test.sh:
//   dotnet run scripts/TestSummary.cs -- <results folder> <solution> <dotnet test exit code> [--partial]
// Prints failed tests (with the start of their error message and stack trace, since CI may keep only
// the end of the output), aborted runs, one line per test project, and as the last line
// "N passed, N failed" (", N skipped" when tests were skipped). Exits 1 when a test failed, a test
// run aborted (its test host crashed), a test project left no results (unless --partial: a filtered
// run), or nothing ran at all.
// It reads the TRX files rather than VSTest's console summary, which counts a crashed run as passed.
using System.Xml.Linq;

if (args.Length is < 3 or > 4 || !int.TryParse(args[2], out var dotnetTestExitCode) || (args.Length == 4 && args[3] != "--partial"))
{
    Console.Error.WriteLine("usage: dotnet run scripts/TestSummary.cs -- <results folder> <solution> <dotnet test exit code> [--partial]");
    return 2;
}

var resultsFolder = args[0];
var solution = args[1];
var runs = Directory.Exists(resultsFolder)
    ? Directory.GetFiles(resultsFolder, "*.trx", SearchOption.AllDirectories).Order().Select(TestRunFile.Read).ToList()
    : [];
var testProjects = args.Length == 4 ? [] : TestProjects.InSolution(solution);

var passed = runs.Sum(run => run.Passed);
var failed = runs.Sum(run => run.Failed.Count);
var skipped = runs.Sum(run => run.Skipped);
var problems = new List<string>();

foreach (var run in runs)
{
    foreach (var test in run.Failed)
    {
        Console.WriteLine($"FAILED   {test.Name}");
        foreach (var line in test.Details)
        {
            Console.WriteLine($"           {line}");
        }
    }
}

foreach (var run in runs.Where(run => run.AbortReason is not null))
{
    // The tests that never reported are unknown; the aborted run counts as one failure.
    failed++;
    problems.Add($"ABORTED  {run.Project ?? run.FileName}: {run.AbortReason}");
}

var projectsWithResults = runs.Select(run => run.Project).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
foreach (var project in testProjects.Where(project => !projectsWithResults.Contains(project)))
{
    failed++;
    problems.Add($"NO RESULTS  {project}: it did not build or its test run did not start (see the output above)");
}

if (runs.Count == 0)
{
    problems.Add($"NO RESULTS  no TRX file in {resultsFolder}: no test ran");
}
else if (dotnetTestExitCode != 0 && failed == 0)
{
    failed++;
    problems.Add($"dotnet test exited with code {dotnetTestExitCode} although every reported test passed (see the output above)");
}

// Again, briefly, where the end of a long log (all a CI page may show) still has it.
var failures = runs.SelectMany(run => run.Failed).ToList();
if (failures.Count > 0)
{
    Console.WriteLine();
    Console.WriteLine("Why they failed (the start of each message):");
    foreach (var test in failures)
    {
        Console.WriteLine($"  {test.Name}");
        var message = test.Details.TakeWhile(line => !line.StartsWith("at ", StringComparison.Ordinal)).Take(3);
        var where = test.Details.Where(line => line.StartsWith("at ", StringComparison.Ordinal) && line.Contains(":line ", StringComparison.Ordinal)).Take(1);
        foreach (var line in message.Concat(where))
        {
            Console.WriteLine($"    {(line.Length > 240 ? line[..240] + "…" : line)}");
        }
    }
}

Console.WriteLine();
foreach (var run in runs.Where(run => run.Project is not null || run.AbortReason is not null).OrderBy(run => run.Project ?? run.FileName, StringComparer.Ordinal))
{
    Console.WriteLine($"  {run.Project ?? run.FileName,-40} passed {run.Passed,5}   failed {run.Failed.Count,3}   skipped {run.Skipped,3}{(run.AbortReason is null ? "" : "   ABORTED")}");
}

var runsWithoutTests = runs.Count(run => run.Project is null && run.AbortReason is null);
if (runsWithoutTests > 0)
{
    Console.WriteLine($"  ({runsWithoutTests} test run(s) had no test to run)");
}

foreach (var problem in problems)
{
    Console.WriteLine(problem);
}

Console.WriteLine(skipped > 0 ? $"{passed} passed, {failed} failed, {skipped} skipped" : $"{passed} passed, {failed} failed");
return failed == 0 && runs.Count > 0 ? 0 : 1;

/// <summary>One TRX file: the results of one test project.</summary>
internal sealed record TestRunFile(string FileName, string? Project, int Passed, IReadOnlyList<FailedTest> Failed, int Skipped, string? AbortReason)
{
    private static readonly XNamespace Trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static TestRunFile Read(string path)
    {
        var document = XDocument.Load(path);
        var results = document.Descendants(Trx + "UnitTestResult").ToList();
        var passed = results.Count(result => Outcome(result) == "Passed");
        var skipped = results.Count(result => Outcome(result) is "NotExecuted" or "Inconclusive" or "Pending");
        var failed = results
            .Where(result => Outcome(result) is not ("Passed" or "NotExecuted" or "Inconclusive" or "Pending"))
            .Select(result => new FailedTest($"{(string?)result.Attribute("testName")} ({Outcome(result)})", Details(result)))
            .ToList();

        // The assembly a test came from names its project (assembly name = project name here).
        var assembly = document.Descendants(Trx + "TestMethod").Select(test => (string?)test.Attribute("codeBase")).FirstOrDefault(s => s is not null);
        var project = assembly is null ? null : Path.GetFileNameWithoutExtension(assembly);

        return new TestRunFile(Path.GetFileName(path), project, passed, failed, skipped, FindAbortReason(document));
    }

    private static string Outcome(XElement result) => (string?)result.Attribute("outcome") ?? "Unknown";

    /// <summary>The first 40 lines of a failed test's message (enough for a page snapshot) and the first frames of its stack trace.</summary>
    private static IReadOnlyList<string> Details(XElement result)
    {
        var error = result.Descendants(Trx + "ErrorInfo").FirstOrDefault();
        static IEnumerable<string> Lines(string? text, int count) => (text ?? "")
            .Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Take(count);
        return [.. Lines((string?)error?.Element(Trx + "Message"), 40), .. Lines((string?)error?.Element(Trx + "StackTrace"), 4)];
    }

    /// <summary>
    /// A run that did not complete although no test failed, or that logged an error which is not a
    /// test failure (a crashed test host: "[FATAL ERROR]", "Test host process crashed"), aborted.
    /// </summary>
    private static string? FindAbortReason(XDocument document)
    {
        var summary = document.Descendants(Trx + "ResultSummary").FirstOrDefault();
        var outcome = (string?)summary?.Attribute("outcome") ?? "Unknown";
        if (outcome == "Completed")
        {
            return null;
        }

        var errors = summary?.Descendants(Trx + "RunInfo")
            .Where(info => (string?)info.Attribute("outcome") == "Error")
            .Select(info => ((string?)info.Element(Trx + "Text") ?? "").Trim())
            .Where(text => !text.EndsWith("[FAIL]", StringComparison.Ordinal))
            .ToList() ?? [];
        if (errors.Count > 0)
        {
            return string.Join(" | ", errors);
        }

        var anyFailed = document.Descendants(Trx + "UnitTestResult").Any(result => Outcome(result) is not ("Passed" or "NotExecuted" or "Inconclusive" or "Pending"));
        return outcome == "Aborted" || !anyFailed ? $"the run ended with outcome '{outcome}' and no failed test" : null;
    }
}

/// <summary>A test that did not pass: its name and outcome, and what it reported.</summary>
internal sealed record FailedTest(string Name, IReadOnlyList<string> Details);

/// <summary>The test projects a solution lists (projects that reference the test SDK or say IsTestProject).</summary>
internal static class TestProjects
{
    public static IReadOnlyList<string> InSolution(string solution)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(solution)) ?? ".";
        return XDocument.Load(solution).Descendants("Project")
            .Select(project => (string?)project.Attribute("Path"))
            .OfType<string>()
            .Select(path => Path.Combine(root, path.Replace('\\', '/')))
            .Where(File.Exists)
            .Where(IsTestProject)
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .ToList();
    }

    private static bool IsTestProject(string projectFile)
    {
        var text = File.ReadAllText(projectFile);
        return text.Contains("<IsTestProject>true</IsTestProject>", StringComparison.OrdinalIgnoreCase)
            || text.Contains("\"Microsoft.NET.Test.Sdk\"", StringComparison.OrdinalIgnoreCase);
    }
}
