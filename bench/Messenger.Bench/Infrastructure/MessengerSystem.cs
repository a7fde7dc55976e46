using System.Globalization;
using System.Security.Cryptography;
using Messenger.Testing;

namespace Messenger.Bench.Infrastructure;

/// <summary>What to start: which services (and how many instances), with which extra settings.</summary>
internal sealed class SystemSpec
{
    /// <summary>fsync and synchronous_commit on (the headline default); off only when asked.</summary>
    public bool Durable { get; init; } = true;

    public bool User { get; init; }

    public bool Friendship { get; init; }

    public int ChatInstances { get; init; }

    public int NotificationInstances { get; init; }

    public bool Gateway { get; init; }

    /// <summary>Which build of the services runs: Release for measurements; the fault tests run what the test command built.</summary>
    public string Configuration { get; init; } = "Release";

    /// <summary>The event log: Redis Streams (null, the single-node default) or Kafka on librdkafka's mock broker in this process.</summary>
    public Messenger.Testing.Services.TestEventLog? EventLog { get; init; }

    /// <summary>Settings by service name (auth, user, friendship, chat, notification, gateway), as configuration keys.</summary>
    public Dictionary<string, Dictionary<string, string>> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyDictionary<string, string> PostgresSettings { get; } = new Dictionary<string, string>
    {
        ["shared_buffers"] = "1GB",
        ["max_wal_size"] = "8GB",
        ["max_connections"] = "500",
    };

    public SystemSpec With(string service, string key, string value)
    {
        if (!Settings.TryGetValue(service, out var settings))
        {
            Settings[service] = settings = new Dictionary<string, string>();
        }

        settings[key] = value;
        return this;
    }

    public string DescribeDurability() => Durable
        ? "PostgreSQL with durable commits (`fsync=on`, `synchronous_commit=on`, `full_page_writes=on`: a commit returns after its WAL is flushed)"
        : "PostgreSQL with commits that do not wait for the disk (`fsync=off`, `synchronous_commit=off`) — not a durable setting";
}

/// <summary>
/// The messenger as separate processes on this machine: PostgreSQL and Redis from the test harness,
/// then Auth and the services asked for, each a Release build started with <c>dotnet &lt;dll&gt;</c> in
/// the Production environment on its own port, in the single-node profile (PostgreSQL message store,
/// Redis Streams event log). Every process is watched by the sampler.
/// </summary>
internal sealed class MessengerSystem : IAsyncDisposable
{
    private readonly List<ServiceProcess> processes = [];
    private readonly Dictionary<string, ServiceProcess> killed = [];
    private readonly ProcessSampler sampler;

    private MessengerSystem(SystemSpec spec, PostgresServer postgres, RedisServer redis, ProcessSampler sampler, string logDirectory)
    {
        Spec = spec;
        Postgres = postgres;
        Redis = redis;
        this.sampler = sampler;
        LogDirectory = logDirectory;
    }

    public SystemSpec Spec { get; }

    public PostgresServer Postgres { get; }

    public RedisServer Redis { get; }

    public string LogDirectory { get; }

    public ServiceProcess Auth => Service("auth");

    public ServiceProcess Chat => Service("chat");

    public IReadOnlyList<ServiceProcess> Chats => [.. processes.Where(p => p.Name.StartsWith("chat", StringComparison.Ordinal))];

    public IReadOnlyList<ServiceProcess> Notifications => [.. processes.Where(p => p.Name.StartsWith("notification", StringComparison.Ordinal))];

    public ServiceProcess? Gateway => processes.FirstOrDefault(p => p.Name == "gateway");

    public Dictionary<string, string> Databases { get; } = [];

    public ServiceProcess Service(string name) => processes.First(p => p.Name == name);

    public static async Task<MessengerSystem> StartAsync(SystemSpec spec, ProcessSampler sampler, string logDirectory)
    {
        var postgres = await PostgresServer.StartAsync(new PostgresServerOptions { Durable = spec.Durable, Settings = SystemSpec.PostgresSettings });
        var redis = await RedisServer.StartAsync();
        var system = new MessengerSystem(spec, postgres, redis, sampler, logDirectory);
        try
        {
            sampler.Watch("postgres", PostmasterPid(postgres), tree: true);
            sampler.Watch("redis", ReadPid(Path.Combine(Path.GetDirectoryName(redis.LogPath)!, "redis.pid")));
            await system.StartServiceAsync("auth", "Auth.Api", "auth");
            if (spec.User)
            {
                await system.StartServiceAsync("user", "User.Api", "users");
            }

            if (spec.Friendship)
            {
                await system.StartServiceAsync("friendship", "Friendship.Api", "friendships",
                    new() { ["Services:User"] = system.Service("user").BaseAddress.ToString() });
            }

            // Production needs the attachment links' signing key (the same on every instance) and a folder for the files.
            var attachments = new Dictionary<string, string>
            {
                ["Chat:Attachments:SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Chat:Attachments:Directory"] = Path.Combine(logDirectory, "attachments"),
            };
            for (var i = 0; i < spec.ChatInstances; i++)
            {
                await system.StartServiceAsync(i == 0 ? "chat" : $"chat-{i + 1}", "Chat.Api", "chat", attachments, settingsName: "chat");
            }

            for (var i = 0; i < spec.NotificationInstances; i++)
            {
                var (publicKey, privateKey) = VapidKeys();
                await system.StartServiceAsync(i == 0 ? "notification" : $"notification-{i + 1}", "Notification.Api", "notifications", new()
                {
                    ["Notifications:Vapid:PublicKey"] = publicKey,
                    ["Notifications:Vapid:PrivateKey"] = privateKey,
                    ["Notifications:Vapid:Subject"] = "mailto:bench@example.org",
                }, settingsName: "notification");
            }

            if (spec.Gateway)
            {
                var routes = system.processes.Where(p => !p.Name.Contains('-', StringComparison.Ordinal))
                    .ToDictionary(p => "Services:" + p.Name, p => p.BaseAddress.ToString().TrimEnd('/'));
                await system.StartServiceAsync("gateway", "Messenger.Gateway", null, routes, folder: "src");
            }

            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    private async Task StartServiceAsync(string name, string project, string? database, Dictionary<string, string>? extra = null, string? settingsName = null, string folder = "src")
    {
        var port = ServiceProcess.FreePort();
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Database__MigrateOnStart"] = "true",
            ["ConnectionStrings__redis"] = Redis.ConnectionString,
            ["EventBus__Transport"] = Spec.EventLog?.Transport ?? "redis",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Error",
        };
        if (Spec.EventLog?.Broker is { } broker)
        {
            settings["EventBus__Kafka__BootstrapServers"] = broker.BootstrapServers;
            settings["EventBus__Kafka__SessionTimeoutMs"] = "6000";
            settings["EventBus__Kafka__AutoCommitIntervalMs"] = "200";
        }

        if (name != "auth")
        {
            settings["Jwt__Authority"] = Auth.BaseAddress.ToString().TrimEnd('/');
        }

        if (database is not null)
        {
            if (!Databases.TryGetValue(database, out var connection))
            {
                Databases[database] = connection = await Postgres.CreateDatabaseAsync(database);
            }

            settings["ConnectionStrings__" + database] = connection;
        }

        foreach (var (key, value) in (extra ?? []).Concat(Spec.Settings.GetValueOrDefault(settingsName ?? name) ?? []))
        {
            settings[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var dll = Repository.BuiltDll(folder, project, Spec.Configuration);
        var process = ServiceProcess.Start(name, "dotnet", [dll], port, settings, LogDirectory);
        processes.Add(process);
        await process.WaitUntilReadyAsync();
        sampler.Watch(name, process.Pid);
    }

    public async Task StopServiceAsync(string name)
    {
        var process = Service(name);
        sampler.Forget(name);
        processes.Remove(process);
        await process.DisposeAsync();
    }

    /// <summary>kill -9 of one service (a crash): it stays down until <see cref="StartAgainAsync"/>.</summary>
    public async Task KillServiceAsync(string name)
    {
        var process = Service(name);
        sampler.Forget(name);
        processes.Remove(process);
        await process.KillAsync();
        killed[name] = process;
    }

    /// <summary>Starts a killed service again as it was configured (same port) and waits until it is ready.</summary>
    public async Task StartAgainAsync(string name)
    {
        var dead = killed[name];
        var process = await dead.StartAgainAsync();
        killed.Remove(name);
        await dead.DisposeAsync();
        processes.Add(process);
        await process.WaitUntilReadyAsync();
        sampler.Watch(name, process.Pid);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(processes))
        {
            sampler.Forget(process.Name);
            await process.DisposeAsync();
        }

        foreach (var process in killed.Values)
        {
            await process.DisposeAsync();
        }

        sampler.Forget("postgres");
        sampler.Forget("redis");
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    private static int PostmasterPid(PostgresServer postgres) =>
        ReadPid(Path.Combine(Path.GetDirectoryName(postgres.LogPath)!, "data", "postmaster.pid"));

    private static int ReadPid(string path)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (File.Exists(path) && int.TryParse(File.ReadLines(path).FirstOrDefault()?.Trim(), CultureInfo.InvariantCulture, out var pid))
            {
                return pid;
            }

            Thread.Sleep(100);
        }

        throw new InvalidOperationException($"No process id in {path}.");
    }

    /// <summary>A fresh P-256 pair in the form Web Push wants (base64url; public key as the uncompressed point).</summary>
    private static (string PublicKey, string PrivateKey) VapidKeys()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        byte[] point = [0x04, .. parameters.Q.X!, .. parameters.Q.Y!];
        return (Base64Url(point), Base64Url(parameters.D!));

        static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
