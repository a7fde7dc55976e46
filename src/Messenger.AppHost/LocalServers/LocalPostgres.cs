using System.Security.Cryptography;
using System.Text;

namespace Messenger.AppHost.LocalServers;

internal static class LocalPostgres
{
    public const string SuperUser = "postgres";

    // A Unix socket path must fit in sockaddr_un.sun_path (108 bytes with the terminator).
    private const int MaxSocketPathLength = 107;

    /// <summary>
    /// A PostgreSQL server on a free loopback port with its data in <c>&lt;data&gt;/postgres</c>,
    /// created by a one-shot initdb the first time. Healthy once it accepts a session.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, string dataRoot)
    {
        var binDirectory = PostgresBinaries.FindBinDirectory();
        var home = HomeFor(dataRoot);
        var dataDirectory = Path.Combine(home, "postgres");
        var socketDirectory = SocketDirectoryFor(home);
        Directory.CreateDirectory(socketDirectory);
        ServerUser.GiveToPostgres(socketDirectory);

        var (command, prefix) = ServerUser.AsPostgres(Path.Combine(binDirectory, "postgres"));
        var server = builder.AddLocalServer(name, command, home,
            [.. prefix, "-D", dataDirectory, "-k", socketDirectory, "-c", "listen_addresses=127.0.0.1"],
            "-p", endpoint => new PostgresReadinessCheck(endpoint, SuperUser));

        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            Directory.CreateDirectory(dataDirectory);
            ServerUser.GiveToPostgres(dataDirectory);
            var (initdbCommand, initdbPrefix) = ServerUser.AsPostgres(Path.Combine(binDirectory, "initdb"));
            // Development default, clearly not for production: every local connection is trusted.
            // The server listens on 127.0.0.1 only; deployments set their own pg_hba.conf and passwords.
            var initdb = builder.AddExecutable(name + "-initdb", initdbCommand, home,
                [.. initdbPrefix, "-D", dataDirectory, "-A", "trust", "-U", SuperUser, "-E", "UTF8", "--locale=C", "--lc-ctype=C.UTF-8"]);
            server.WaitForCompletion(initdb);
        }

        return server;
    }

    /// <summary>
    /// The folder holding the data and socket folders. Run as root, the server runs as the
    /// postgres account, which cannot enter a repository under a private home folder (/root is
    /// mode 700); the data then lives under /var/lib/messenger instead.
    /// </summary>
    private static string HomeFor(string dataRoot)
    {
        if (ServerUser.PostgresCanEnter(dataRoot))
        {
            return dataRoot;
        }

        var fallback = Path.Combine("/var/lib/messenger", ShortHash(dataRoot));
        Directory.CreateDirectory(fallback);
        Console.WriteLine($"The postgres account cannot enter {dataRoot}; PostgreSQL keeps its data in {fallback}.");
        return fallback;
    }

    private static string SocketDirectoryFor(string home)
    {
        var preferred = Path.Combine(home, "postgres-socket");
        return preferred.Length + "/.s.PGSQL.65535".Length <= MaxSocketPathLength
            ? preferred
            : Path.Combine(Path.GetTempPath(), "messenger-pg-" + ShortHash(home));
    }

    private static string ShortHash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
}
