using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Messenger.Testing.Internal;

namespace Messenger.Testing;

/// <summary>
/// A throwaway redis-server on a free loopback port. It persists like production (append-only
/// file, fsync every second) into its own temporary folder, so a stop and restart keeps streams
/// and keys. Disposing it kills the server and deletes the folder.
/// </summary>
public sealed class RedisServer : IAsyncDisposable, IPortServer
{
    internal const string PidFileName = "redis.pid";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly string? executable;
    private readonly string? directory;
    private readonly ServerLifecycle lifecycle;
    private readonly StringBuilder console = new();
    private Process? process;

    private RedisServer(int port, string connectionString, string? executable, string? directory)
    {
        Port = port;
        ConnectionString = connectionString;
        this.executable = executable;
        this.directory = directory;
        lifecycle = new ServerLifecycle(this, directory is null
            ? "This Redis server was given by connection string (MESSENGER_TEST_REDIS) and is not run by the " +
              "test harness, so it cannot be stopped or restarted. Start a private server with " +
              "RedisServer.StartAsync() for tests that stop or restart Redis."
            : null);
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6390</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server writes its log; null for a server given by connection string.</summary>
    public string? LogPath => directory is null ? null : Path.Combine(directory, "redis.log");

    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var executable = FindExecutable();
        var directory = RunDirectory.NewServerDirectory("redis");
        try
        {
            return await FreePort.StartServerAsync(
                "redis-server", port => new RedisServer(port, $"127.0.0.1:{port}", executable, directory), cancellationToken);
        }
        catch
        {
            RunDirectory.DeleteQuietly(directory);
            throw;
        }
    }

    /// <summary>
    /// Uses a server someone else runs (e.g. <c>MESSENGER_TEST_REDIS</c>). Such a server cannot be
    /// stopped or restarted by the tests.
    /// </summary>
    public static RedisServer FromConnectionString(string connectionString)
    {
        // StackExchange.Redis configuration: endpoints are the entries without '='.
        var endpoint = connectionString.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(part => !part.Contains('=', StringComparison.Ordinal)) ?? "";
        var colon = endpoint.LastIndexOf(':');
        var port = colon >= 0 && int.TryParse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture, out var parsed) ? parsed : 6379;
        return new RedisServer(port, connectionString, executable: null, directory: null);
    }

    /// <summary>Stops the server the way production does (SIGTERM: the append-only file is flushed) and keeps its data.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) =>
        lifecycle.RunAsync(() => StopProcessAsync(cancellationToken), cancellationToken);

    /// <summary>Starts the server again on the same port with the same data (stopping it first if it runs).</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) =>
        lifecycle.RunAsync(async () =>
        {
            await StopProcessAsync(cancellationToken);
            if (!await StartProcessAsync(cancellationToken))
            {
                throw new InvalidOperationException(
                    $"redis-server could not restart: port {Port} was taken by another process while it was stopped.");
            }
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (!lifecycle.IsManaged)
        {
            return;
        }
        await lifecycle.DisposeOnceAsync(async () =>
        {
            if (process is { } running)
            {
                // The data is thrown away, so there is nothing to flush.
                running.Kill();
                await running.WaitForExitAsync();
                running.Dispose();
                process = null;
            }
            RunDirectory.Untrack(this);
            RunDirectory.DeleteQuietly(directory!);
        });
    }

    public override string ToString() => $"Redis on 127.0.0.1:{Port}";

    string IPortServer.LogFile => LogPath!;

    Task<bool> IPortServer.TryStartAsync(CancellationToken cancellationToken) => StartProcessAsync(cancellationToken);

    ValueTask IPortServer.AbandonAsync()
    {
        process?.Dispose();
        process = null;
        return ValueTask.CompletedTask;
    }

    void IPortServer.KillNow() => KillNow();

    /// <summary>Starts redis-server on <see cref="Port"/>; false when another process holds that port.</summary>
    private async Task<bool> StartProcessAsync(CancellationToken cancellationToken)
    {
        var logStart = LogTail.Length(LogPath!);
        var startInfo = new ProcessStartInfo(executable!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--dir", directory!,
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--protected-mode", "no",
            "--logfile", LogPath!,
            "--pidfile", Path.Combine(directory!, PidFileName),
        })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var started = new Process { StartInfo = startInfo };
        started.OutputDataReceived += (_, e) => KeepConsoleLine(e.Data);
        started.ErrorDataReceived += (_, e) => KeepConsoleLine(e.Data);
        started.Start();
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        process = started;

        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (started.HasExited)
            {
                var log = LogTail.Since(LogPath!, logStart) + ConsoleText();
                started.Dispose();
                process = null;
                if (log.Contains("Address already in use", StringComparison.Ordinal))
                {
                    return false;
                }
                throw new InvalidOperationException(
                    $"redis-server exited while starting on port {Port}.\nLog ({LogPath}):\n{LogTail.Read(LogPath!)}\n{ConsoleText()}");
            }
            if (await PingAsync(cancellationToken))
            {
                return true;
            }
            if (DateTime.UtcNow > deadline)
            {
                await StopProcessAsync(CancellationToken.None);
                throw new InvalidOperationException(
                    $"redis-server on port {Port} did not answer PING within {StartTimeout.TotalSeconds:0} s.\n" +
                    $"Log ({LogPath}):\n{LogTail.Read(LogPath!)}");
            }
            await Task.Delay(25, cancellationToken);
        }
    }

    private async Task StopProcessAsync(CancellationToken cancellationToken)
    {
        if (process is not { } running)
        {
            return;
        }
        // redis-server treats SIGTERM like SHUTDOWN: it fsyncs the append-only file and exits.
        Posix.Signal(running.Id, Posix.SigTerm);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StopTimeout);
        try
        {
            await running.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            running.Kill();
            await running.WaitForExitAsync(CancellationToken.None);
            throw new InvalidOperationException(
                $"redis-server on port {Port} did not stop within {StopTimeout.TotalSeconds:0} s and was killed.\n" +
                $"Log ({LogPath}):\n{LogTail.Read(LogPath!)}");
        }
        finally
        {
            if (running.HasExited)
            {
                running.Dispose();
                process = null;
            }
        }
    }

    /// <summary>A PING answered with PONG; false while the server is not listening yet or still loading its data.</summary>
    private async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync("127.0.0.1", Port, attempt.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), attempt.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, attempt.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private void KillNow()
    {
        try
        {
            process?.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Ends the redis-server recorded in a server folder (its pid file), if it still runs.</summary>
    internal static void KillLeftover(string serverDirectory)
    {
        var pid = Posix.ReadPidFile(Path.Combine(serverDirectory, PidFileName));
        // A stale pid file may name a pid that now belongs to another program.
        if (pid is null || Posix.CommandName(pid.Value) is not "redis-server")
        {
            return;
        }
        Posix.Signal(pid.Value, Posix.SigKill);
        Posix.WaitForExit(pid.Value, TimeSpan.FromSeconds(3));
    }

    private void KeepConsoleLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (console)
        {
            // Only the last few lines matter for an error message.
            if (console.Length > 8_000)
            {
                console.Remove(0, console.Length - 4_000);
            }
            console.AppendLine(line);
        }
    }

    private string ConsoleText()
    {
        lock (console)
        {
            return console.ToString();
        }
    }

    private static string FindExecutable()
    {
        var searchPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"]);
        return searchPath.Select(directory => Path.Combine(directory, "redis-server")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "redis-server was not found on PATH. Run scripts/install-deps.sh to install it, or set " +
                "MESSENGER_TEST_REDIS to the address of an existing server (e.g. 127.0.0.1:6379).");
    }
}
