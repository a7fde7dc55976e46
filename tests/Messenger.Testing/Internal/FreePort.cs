using System.Net;
using System.Net.Sockets;

namespace Messenger.Testing.Internal;

/// <summary>A server process the harness starts on a port it picked.</summary>
internal interface IPortServer
{
    string LogFile { get; }

    /// <summary>Starts the process; false when another process holds the port.</summary>
    Task<bool> TryStartAsync(CancellationToken cancellationToken);

    /// <summary>Ends the process at once, without awaiting anything.</summary>
    void KillNow();

    /// <summary>Releases what a server object that never started holds.</summary>
    ValueTask AbandonAsync();
}

internal static class FreePort
{
    private const int Attempts = 5;

    /// <summary>
    /// A loopback port the kernel just handed out. Another process may still take it before the
    /// server binds it, hence the retries in <see cref="StartServerAsync"/>.
    /// </summary>
    public static int Pick()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Creates and starts a server on a free port, picking another port while the chosen one turns out taken.</summary>
    public static async Task<TServer> StartServerAsync<TServer>(
        string serverName, Func<int, TServer> create, CancellationToken cancellationToken)
        where TServer : class, IPortServer
    {
        for (var attempt = 1; ; attempt++)
        {
            var server = create(Pick());
            RunDirectory.Track(server, server.KillNow);
            var started = false;
            try
            {
                started = await server.TryStartAsync(cancellationToken);
            }
            finally
            {
                if (!started)
                {
                    // A start cut short (cancelled, failed) may still have left a process behind.
                    server.KillNow();
                    RunDirectory.Untrack(server);
                    await server.AbandonAsync();
                }
            }
            if (started)
            {
                return server;
            }
            if (attempt == Attempts)
            {
                throw new InvalidOperationException(
                    $"{serverName} found its port taken {Attempts} times in a row.\nLog:\n{LogTail.Read(server.LogFile)}");
            }
        }
    }
}
