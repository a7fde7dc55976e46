using System.Diagnostics;

namespace Messenger.AppHost.LocalServers;

internal static class PostgresBinaries
{
    /// <summary>
    /// The folder with <c>initdb</c> and <c>postgres</c>: <c>pg_config --bindir</c> when it has the
    /// server (pg_config may come from a client-only package), else the newest
    /// <c>/usr/lib/postgresql/*/bin</c> (Debian keeps the server off PATH), else PATH.
    /// </summary>
    public static string FindBinDirectory()
    {
        var candidates = new List<string>();
        if (TryPgConfigBinDirectory() is { } fromPgConfig)
        {
            candidates.Add(fromPgConfig);
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .Select(version => (Version: int.TryParse(Path.GetFileName(version), out var number) ? number : 0, Bin: Path.Combine(version, "bin")))
                .OrderByDescending(pair => pair.Version)
                .Select(pair => pair.Bin));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));

        return candidates.FirstOrDefault(HasServer) ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, postgres) were not found in pg_config --bindir, /usr/lib/postgresql/*/bin " +
            "or PATH. Install them with scripts/install-deps.sh (apt-get install postgresql).");
    }

    private static bool HasServer(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "postgres"));

    private static string? TryPgConfigBinDirectory()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // pg_config is not installed
        }
    }
}
