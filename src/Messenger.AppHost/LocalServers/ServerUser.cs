using System.Diagnostics;

namespace Messenger.AppHost.LocalServers;

/// <summary>
/// PostgreSQL refuses to run as root. When the app host runs as root (a fresh machine, CI), the
/// server runs as the <c>postgres</c> user that the Debian package creates.
/// </summary>
internal static class ServerUser
{
    public const string PostgresAccount = "postgres";

    public static bool IsRoot { get; } = Environment.UserName == "root";

    /// <summary>The command and leading arguments that run <paramref name="program"/> as the PostgreSQL account.</summary>
    public static (string Command, string[] Prefix) AsPostgres(string program) =>
        IsRoot ? ("runuser", ["-u", PostgresAccount, "--", program]) : (program, []);

    /// <summary>Gives a folder to the PostgreSQL account (root only; otherwise it is ours already).</summary>
    public static void GiveToPostgres(string directory)
    {
        if (IsRoot)
        {
            Run("chown", "-R", PostgresAccount + ":" + PostgresAccount, directory);
        }
    }

    /// <summary>True when the PostgreSQL account can enter <paramref name="directory"/> (a home folder with mode 700 cannot be).</summary>
    public static bool PostgresCanEnter(string directory) =>
        !IsRoot || Run("runuser", "-u", PostgresAccount, "--", "test", "-x", directory) == 0;

    private static int Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { UseShellExecute = false })
            ?? throw new InvalidOperationException($"Could not start {command}.");
        process.WaitForExit();
        return process.ExitCode;
    }
}
