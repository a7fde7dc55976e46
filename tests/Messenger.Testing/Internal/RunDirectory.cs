using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Messenger.Testing.Internal;

/// <summary>
/// Every test process keeps its servers' folders under one run folder
/// (<c>$TMPDIR/messenger-tests-USER/run-PID-…</c>) that names its owner. A test process that
/// was killed cannot stop its servers, so the next process that starts a server stops the
/// servers of every run whose owner is gone and deletes that run's folder.
/// </summary>
internal static class RunDirectory
{
    private const string OwnerFile = "owner";
    private static readonly Lazy<string> Current = new(CreateCurrent, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConcurrentDictionary<object, Action> LiveServers = new();

    // Kept referenced: a collected registration stops handling its signal.
    private static PosixSignalRegistration[]? SignalRegistrations;

    public static string Root { get; } =
        Path.Combine(Path.GetTempPath(), "messenger-tests-" + Environment.UserName);

    public static string NewServerDirectory(string kind)
    {
        var path = Path.Combine(Current.Value, $"{kind}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Registers a last-resort stop that runs if the test process exits with the server still up
    /// (an assembly fixture that was never disposed, a test that forgot to dispose its server).
    /// </summary>
    public static void Track(object server, Action killNow) => LiveServers[server] = killNow;

    public static void Untrack(object server) => LiveServers.TryRemove(server, out _);

    public static void DeleteQuietly(string path)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A server that has just exited may still be removing its socket or pid file.
                Thread.Sleep(50);
            }
        }
    }

    private static string CreateCurrent()
    {
        Directory.CreateDirectory(Root);
        SweepOrphans();

        var pid = Environment.ProcessId;
        var path = Path.Combine(Root, $"run-{pid}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(path);
        File.WriteAllText(
            Path.Combine(path, OwnerFile),
            string.Create(CultureInfo.InvariantCulture, $"{pid} {Posix.StartTime(pid)}"));

        // ProcessExit covers a normal end of the test run; a runtime killed by SIGTERM or SIGHUP
        // skips it, so those signals stop the servers first and then take their default course.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopEverything(path);
        SignalRegistrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => StopEverything(path)),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => StopEverything(path)),
        ];
        return path;
    }

    private static void StopEverything(string runPath)
    {
        foreach (var (server, killNow) in LiveServers)
        {
            if (!LiveServers.TryRemove(server, out _))
            {
                continue;
            }
            try
            {
                killNow();
            }
            catch (Exception)
            {
                // The process is ending; nothing is left to report to.
            }
        }
        DeleteQuietly(runPath);
    }

    internal static void SweepOrphans()
    {
        foreach (var run in Directory.EnumerateDirectories(Root, "run-*"))
        {
            try
            {
                if (IsOwnerAlive(run))
                {
                    continue;
                }
                foreach (var server in Directory.EnumerateDirectories(run))
                {
                    KillLeftoverServer(server);
                }
                DeleteQuietly(run);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another test process is sweeping the same run right now.
            }
        }
    }

    private static bool IsOwnerAlive(string run)
    {
        var ownerPath = Path.Combine(run, OwnerFile);
        if (!File.Exists(ownerPath))
        {
            // The owner may be between creating its folder and writing the owner file.
            return DateTime.UtcNow - Directory.GetCreationTimeUtc(run) < TimeSpan.FromMinutes(5);
        }
        var parts = File.ReadAllText(ownerPath).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }
        var startTime = Posix.StartTime(pid);
        return startTime is not null
            && (parts.Length < 2 || parts[1] == startTime.Value.ToString(CultureInfo.InvariantCulture));
    }

    private static void KillLeftoverServer(string serverDirectory)
    {
        PostgresServer.KillLeftover(serverDirectory);
        RedisServer.KillLeftover(serverDirectory);
    }
}
