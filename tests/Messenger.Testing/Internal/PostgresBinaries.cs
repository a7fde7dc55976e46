using System.Globalization;

namespace Messenger.Testing.Internal;

/// <summary>Where initdb, pg_ctl and postgres live, and how to run them as a user they accept.</summary>
internal sealed class PostgresBinaries
{
    private const string ServerUser = "postgres";
    private static readonly Lazy<Task<PostgresBinaries>> Found = new(FindAsync);

    private PostgresBinaries(string binDirectory) => BinDirectory = binDirectory;

    public string BinDirectory { get; }

    /// <summary>initdb and postgres refuse to run as root, so root runs them as the postgres user.</summary>
    public static bool RunsAsServerUser => Environment.IsPrivilegedProcess;

    public static Task<PostgresBinaries> GetAsync() => Found.Value;

    /// <summary>The command line that runs one of the server tools as a user it accepts.</summary>
    public (string FileName, List<string> Arguments) Tool(string tool, params string[] arguments)
    {
        var executable = Path.Combine(BinDirectory, tool);
        return RunsAsServerUser
            ? ("runuser", ["-u", ServerUser, "--", executable, .. arguments])
            : (executable, [.. arguments]);
    }

    /// <summary>Hands a folder to the server user (when running as root) so initdb and the server can write to it.</summary>
    public static async Task GiveToServerUserAsync(string path, CancellationToken cancellationToken)
    {
        if (RunsAsServerUser)
        {
            await Command.RunCheckedAsync(
                "chown", [$"{ServerUser}:", path], TimeSpan.FromSeconds(10), cancellationToken);
        }
    }

    private static async Task<PostgresBinaries> FindAsync()
    {
        var candidates = new List<string>();
        try
        {
            var result = await Command.RunAsync("pg_config", ["--bindir"], TimeSpan.FromSeconds(10), CancellationToken.None);
            if (result.ExitCode == 0)
            {
                candidates.Add(result.Output.Trim());
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // pg_config is not on PATH; the packaged layout below still finds the server.
        }

        // Debian and Ubuntu install each major version side by side; the newest one wins.
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(
                Directory.EnumerateDirectories("/usr/lib/postgresql")
                    .Select(versionDirectory => (Version: MajorVersion(versionDirectory), Bin: Path.Combine(versionDirectory, "bin")))
                    .OrderByDescending(candidate => candidate.Version)
                    .Select(candidate => candidate.Bin));
        }

        // libpq-dev's pg_config answers /usr/bin, which holds client tools only: insist on the server.
        var found = candidates.FirstOrDefault(directory =>
            new[] { "initdb", "pg_ctl", "postgres" }.All(tool => File.Exists(Path.Combine(directory, tool))));
        return found is null
            ? throw new InvalidOperationException(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found via `pg_config --bindir` " +
                "or under /usr/lib/postgresql/*/bin. Run scripts/install-deps.sh to install them, or set " +
                "MESSENGER_TEST_POSTGRES to the connection string of an existing server (superuser).")
            : new PostgresBinaries(found);
    }

    private static int MajorVersion(string versionDirectory) =>
        int.TryParse(Path.GetFileName(versionDirectory), CultureInfo.InvariantCulture, out var version) ? version : -1;
}
