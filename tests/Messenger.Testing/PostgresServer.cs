using Messenger.Testing.Internal;
using Npgsql;

namespace Messenger.Testing;

/// <summary>
/// A throwaway PostgreSQL server: initdb into a temporary folder, postgres on a free loopback
/// port, durability switched off for speed unless <see cref="PostgresServerOptions.Durable"/> asks
/// for it. Disposing it stops the server and deletes the folder.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable, IPortServer
{
    internal const string DataFolderName = "data";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly PostgresBinaries? binaries;
    private readonly string? directory;
    private readonly NpgsqlDataSource admin;
    private readonly ServerLifecycle lifecycle;
    private readonly PostgresServerOptions options;
    private bool running;

    private PostgresServer(int port, string connectionString, PostgresBinaries? binaries, string? directory, PostgresServerOptions? options = null)
    {
        this.options = options ?? new PostgresServerOptions();
        Port = port;
        ConnectionString = connectionString;
        this.binaries = binaries;
        this.directory = directory;
        admin = NpgsqlDataSource.Create(connectionString);
        lifecycle = new ServerLifecycle(this, directory is null
            ? "This PostgreSQL server was given by connection string (MESSENGER_TEST_POSTGRES) and is not " +
              "run by the test harness, so it cannot be stopped or restarted. Start a private server with " +
              "PostgresServer.StartAsync() for tests that stop or restart PostgreSQL."
            : null);
    }

    public int Port { get; }

    /// <summary>Superuser <c>postgres</c>, database <c>postgres</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server writes its log; null for a server given by connection string.</summary>
    public string? LogPath => directory is null ? null : Path.Combine(directory, "postgres.log");

    private string DataPath => Path.Combine(directory!, DataFolderName);

    public static Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default) =>
        StartAsync(new PostgresServerOptions(), cancellationToken);

    /// <summary>A server with the given durability and settings (benchmarks measure with durable commits).</summary>
    public static async Task<PostgresServer> StartAsync(PostgresServerOptions options, CancellationToken cancellationToken = default)
    {
        var binaries = await PostgresBinaries.GetAsync();
        var directory = RunDirectory.NewServerDirectory("postgres");
        try
        {
            await PostgresBinaries.GiveToServerUserAsync(directory, cancellationToken);
            var (initdb, initdbArguments) = binaries.Tool(
                "initdb", "-D", Path.Combine(directory, DataFolderName), "-A", "trust", "-U", "postgres",
                "--no-sync", "-E", "UTF8", "--locale=C", "--lc-ctype=C.UTF-8");
            await Command.RunCheckedAsync(initdb, initdbArguments, StartTimeout, cancellationToken);

            return await FreePort.StartServerAsync(
                "PostgreSQL", port => new PostgresServer(port, LocalConnectionString(port), binaries, directory, options), cancellationToken);
        }
        catch
        {
            RunDirectory.DeleteQuietly(directory);
            throw;
        }
    }

    /// <summary>
    /// Uses a server someone else runs (e.g. <c>MESSENGER_TEST_POSTGRES</c>); the connection must be
    /// a superuser's. Such a server can create databases but cannot be stopped or restarted.
    /// </summary>
    public static PostgresServer FromConnectionString(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return new PostgresServer(builder.Port, builder.ConnectionString, binaries: null, directory: null);
    }

    /// <summary>Creates a new empty database whose name starts with the prefix and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string namePrefix, CancellationToken cancellationToken = default)
    {
        var name = DatabaseName(namePrefix);
        await using (var command = admin.CreateCommand($"CREATE DATABASE \"{name}\""))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Stops the server (fast shutdown) and keeps its data.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) =>
        lifecycle.RunAsync(() => StopProcessAsync("fast", cancellationToken), cancellationToken);

    /// <summary>Starts the server again on the same port with the same data (stopping it first if it runs).</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) =>
        lifecycle.RunAsync(async () =>
        {
            await StopProcessAsync("fast", cancellationToken);
            if (!await StartProcessAsync(cancellationToken))
            {
                throw new InvalidOperationException(
                    $"PostgreSQL could not restart: port {Port} was taken by another process while it was stopped.");
            }
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (!lifecycle.IsManaged)
        {
            await admin.DisposeAsync();
            return;
        }
        await lifecycle.DisposeOnceAsync(async () =>
        {
            await admin.DisposeAsync();
            try
            {
                // The data is thrown away, so an immediate shutdown is as good as a clean one.
                await StopProcessAsync("immediate", CancellationToken.None);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                KillNow();
            }
            RunDirectory.Untrack(this);
            RunDirectory.DeleteQuietly(directory!);
        });
    }

    public override string ToString() => $"PostgreSQL on 127.0.0.1:{Port}";

    string IPortServer.LogFile => LogPath!;

    Task<bool> IPortServer.TryStartAsync(CancellationToken cancellationToken) => StartProcessAsync(cancellationToken);

    ValueTask IPortServer.AbandonAsync() => admin.DisposeAsync();

    /// <summary>Starts postgres on <see cref="Port"/>; false when another process holds that port.</summary>
    private async Task<bool> StartProcessAsync(CancellationToken cancellationToken)
    {
        // -k keeps the Unix socket inside the server's own folder, away from /var/run/postgresql.
        var durability = options.Durable
            ? new[] { "-c fsync=on", "-c synchronous_commit=on", "-c full_page_writes=on" }
            : ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"];
        var serverOptions = string.Join(' ',
            new[] { $"-p {Port}", $"-k '{directory}'", "-c listen_addresses=127.0.0.1", "-c max_connections=500" }
                .Concat(durability)
                .Concat(options.Settings.Select(setting => $"-c {setting.Key}={setting.Value}")));
        var (pgCtl, arguments) = binaries!.Tool(
            "pg_ctl", "start", "-D", DataPath, "-l", LogPath!, "-w", "-t", ((int)StartTimeout.TotalSeconds).ToString(),
            "-s", "-o", serverOptions);
        var logStart = LogTail.Length(LogPath!);
        var result = await Command.RunAsync(pgCtl, arguments, StartTimeout + TimeSpan.FromSeconds(10), cancellationToken);
        if (result.ExitCode != 0)
        {
            var log = LogTail.Read(LogPath!);
            if (LogTail.Since(LogPath!, logStart).Contains("Address already in use", StringComparison.Ordinal))
            {
                return false;
            }
            throw new InvalidOperationException(
                $"PostgreSQL did not start on port {Port} (pg_ctl exited with {result.ExitCode}).\n" +
                $"pg_ctl: {result.Output}\nServer log ({LogPath}):\n{log}");
        }
        running = true;
        admin.Clear();
        try
        {
            await WaitUntilAcceptingAsync(cancellationToken);
        }
        catch
        {
            await StopProcessAsync("immediate", CancellationToken.None);
            throw;
        }
        return true;
    }

    private async Task WaitUntilAcceptingAsync(CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL on port {Port} did not accept connections within {StartTimeout.TotalSeconds:0} s: {e.Message}\n" +
                    $"Server log ({LogPath}):\n{LogTail.Read(LogPath!)}", e);
            }
        }
    }

    private async Task StopProcessAsync(string mode, CancellationToken cancellationToken)
    {
        if (!running)
        {
            return;
        }
        var (pgCtl, arguments) = binaries!.Tool(
            "pg_ctl", "stop", "-D", DataPath, "-m", mode, "-w", "-t", ((int)StopTimeout.TotalSeconds).ToString(), "-s");
        var result = await Command.RunAsync(pgCtl, arguments, StopTimeout + TimeSpan.FromSeconds(10), cancellationToken);
        if (result.ExitCode != 0 && File.Exists(Path.Combine(DataPath, "postmaster.pid")))
        {
            throw new InvalidOperationException(
                $"PostgreSQL on port {Port} did not stop (pg_ctl exited with {result.ExitCode}): {result.Output}\n" +
                $"Server log ({LogPath}):\n{LogTail.Read(LogPath!)}");
        }
        running = false;
        admin.Clear();
    }

    /// <summary>Ends the server at once, without awaiting anything: used when the test process exits.</summary>
    void IPortServer.KillNow() => KillNow();

    private void KillNow() => KillLeftover(directory!);

    /// <summary>
    /// Ends the postmaster recorded in a server folder, if it still runs. SIGQUIT is PostgreSQL's
    /// immediate shutdown, which also ends the backends.
    /// </summary>
    internal static void KillLeftover(string serverDirectory)
    {
        var pid = Posix.ReadPidFile(Path.Combine(serverDirectory, DataFolderName, "postmaster.pid"));
        // A stale pid file may name a pid that now belongs to another program.
        if (pid is null || Posix.CommandName(pid.Value) is not "postgres")
        {
            return;
        }
        Posix.Signal(pid.Value, Posix.SigQuit);
        if (!Posix.WaitForExit(pid.Value, TimeSpan.FromSeconds(3)))
        {
            Posix.Signal(pid.Value, Posix.SigKill);
        }
    }

    private static string LocalConnectionString(int port) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = port,
        Username = "postgres",
        Database = "postgres",
        IncludeErrorDetail = true,
    }.ConnectionString;

    private static string DatabaseName(string namePrefix)
    {
        var cleaned = new string(namePrefix.ToLowerInvariant()
            .Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_')
            .ToArray());
        if (cleaned.Length == 0)
        {
            cleaned = "test";
        }
        // PostgreSQL names are at most 63 bytes; the suffix takes 13.
        return $"{cleaned[..Math.Min(cleaned.Length, 48)]}_{Guid.NewGuid().ToString("N")[..12]}";
    }
}

/// <summary>How a private server runs. The defaults suit tests: commits do not wait for the disk.</summary>
public sealed class PostgresServerOptions
{
    /// <summary>
    /// <c>fsync</c>, <c>synchronous_commit</c> and <c>full_page_writes</c> on, as in production: a
    /// commit returns once its WAL is flushed. Off by default (tests throw the data away).
    /// </summary>
    public bool Durable { get; init; }

    /// <summary>Further server settings passed as <c>-c name=value</c> (e.g. <c>shared_buffers</c>).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
