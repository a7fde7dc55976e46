namespace Messenger.AppHost.LocalServers;

internal static class LocalRedis
{
    /// <summary>
    /// A Redis server on a free loopback port with its files in <c>&lt;data&gt;/redis</c>. The event
    /// log of the single-node profile lives in Redis Streams, so the append-only file is on and
    /// flushed every second. Healthy once it answers PING (not while it is loading the file).
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, string dataRoot)
    {
        var dataDirectory = Path.Combine(dataRoot, "redis");
        Directory.CreateDirectory(dataDirectory);

        return builder.AddLocalServer(name, FindRedisServer(), dataDirectory,
            ["--bind", "127.0.0.1", "--dir", dataDirectory, "--appendonly", "yes", "--appendfsync", "everysec"],
            "--port", endpoint => new RedisReadinessCheck(endpoint));
    }

    private static string FindRedisServer() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(directory => Path.Combine(directory, "redis-server"))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException(
            "redis-server was not found on PATH. Install it with scripts/install-deps.sh (apt-get install redis-server).");
}
