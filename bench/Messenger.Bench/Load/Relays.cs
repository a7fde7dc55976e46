using System.Net;
using Messenger.Bench.Infrastructure;

namespace Messenger.Bench.Load;

/// <summary>The two reference relays: the bare Kestrel one (bench/KestrelRelay) and Socket.IO 4 on Node (bench/socketio-relay).</summary>
internal static class Relays
{
    private static string SocketIoFolder => Path.Combine(Repository.Root, "bench", "socketio-relay");

    public static string? Unavailable(Protocol protocol) => protocol switch
    {
        Protocol.SocketIo when Machine.VersionOf("node", "--version") is null => "node is not installed on this machine",
        Protocol.SocketIo when !Directory.Exists(Path.Combine(SocketIoFolder, "node_modules", "socket.io")) => "socket.io is not installed (`npm ci` in bench/socketio-relay; scripts/bench.sh does it)",
        _ => null,
    };

    /// <summary>Starts the relay; null when it cannot run here (see <see cref="Unavailable"/>).</summary>
    public static async Task<ServiceProcess?> StartAsync(Protocol protocol, string logDirectory)
    {
        if (Unavailable(protocol) is not null)
        {
            return null;
        }

        var port = ServiceProcess.FreePort();
        ServiceProcess relay;
        if (protocol == Protocol.KestrelRelay)
        {
            relay = ServiceProcess.Start("kestrel-relay", "dotnet", [Repository.ReleaseDll("bench", "KestrelRelay")], port,
                new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}", ["ASPNETCORE_ENVIRONMENT"] = "Production" }, logDirectory);
        }
        else
        {
            relay = ServiceProcess.Start("socketio-relay", "node", [Path.Combine(SocketIoFolder, "server.js")], port,
                new Dictionary<string, string> { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["NODE_ENV"] = "production" }, logDirectory, SocketIoFolder);
        }

        await relay.WaitUntilReadyAsync(path: null);
        return relay;
    }

    public static Uri SocketUri(ServiceProcess relay, Protocol protocol, int pair) => protocol == Protocol.SocketIo
        ? new Uri($"ws://127.0.0.1:{relay.Port}/socket.io/?EIO=4&transport=websocket&pair={pair}")
        : new Uri($"ws://127.0.0.1:{relay.Port}/relay?pair={pair}");

    /// <summary>2 × <paramref name="pairs"/> sockets; 2p and 2p+1 are joined by the relay.</summary>
    public static async Task<List<LoadSocket>> ConnectPairsAsync(ServiceProcess relay, Protocol protocol, int pairs, IPAddress? source = null, int receiveBufferBytes = 16 * 1024)
    {
        var sockets = new LoadSocket[pairs * 2];
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs * 2), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            sockets[i] = await LoadSocket.ConnectAsync(SocketUri(relay, protocol, i / 2), protocol, i, source, receiveBufferBytes, ct));
        // Both sides of a pair are joined once the second one is in.
        await Task.Delay(500);
        return [.. sockets];
    }
}
