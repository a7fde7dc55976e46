namespace Messenger.Bench.Infrastructure;

internal static class Repository
{
    /// <summary>The folder holding Messenger.slnx, found upwards from the program's folder.</summary>
    public static string Root { get; } = FindRoot();

    public static string Results => Path.Combine(Root, "bench", "results");

    /// <summary>A project's Release build: <c>src/Chat.Api/bin/Release/net10.0/Chat.Api.dll</c>.</summary>
    public static string ReleaseDll(string folder, string project) => BuiltDll(folder, project, "Release");

    /// <summary>A project's build in the given configuration (the fault tests run the Debug build the test command made).</summary>
    public static string BuiltDll(string folder, string project, string configuration)
    {
        var path = Path.Combine(Root, folder, project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is missing: build it with `dotnet build -c {configuration} {folder}/{project}` (scripts/bench.sh does for Release).");
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messenger.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the benchmark from inside the repository.");
    }
}
