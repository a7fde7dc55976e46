using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace Messenger.Bench.Load;

/// <summary>What the generator talks to over a WebSocket.</summary>
internal enum Protocol
{
    /// <summary>The messenger's chat socket (docs/chat-protocol.md).</summary>
    Messenger,

    /// <summary>The bare Kestrel relay: frames go to the paired socket unchanged.</summary>
    KestrelRelay,

    /// <summary>Socket.IO 4 (Engine.IO v4 over a plain WebSocket): <c>42["msg",frame]</c> events.</summary>
    SocketIo,
}

/// <summary>
/// One client WebSocket of the generator. Frames are handed to <see cref="OnFrame"/> with the
/// <see cref="Stopwatch"/> time they were read, unparsed, so the client spends as little of the shared
/// CPU as it can. A socket may be bound to a loopback source address (127.x.y.z) so that more than
/// one address's worth of ephemeral ports (~28k) can be open at once.
/// </summary>
internal sealed class LoadSocket : IAsyncDisposable
{
    private static readonly byte[] EnginePing = "2"u8.ToArray();
    private static readonly byte[] EnginePong = "3"u8.ToArray();
    private static readonly Dictionary<IPAddress, HttpMessageInvoker> Invokers = [];

    private readonly ClientWebSocket socket;
    private readonly Protocol protocol;
    private readonly SemaphoreSlim? sendLock;
    private readonly int receiveBufferBytes;
    private Task? receiving;

    private LoadSocket(ClientWebSocket socket, Protocol protocol, int index, int receiveBufferBytes)
    {
        this.socket = socket;
        this.protocol = protocol;
        this.receiveBufferBytes = receiveBufferBytes;
        Index = index;
        // Socket.IO's client answers the server's pings on the same socket the sender uses.
        sendLock = protocol == Protocol.SocketIo ? new SemaphoreSlim(1, 1) : null;
    }

    public int Index { get; }

    public Protocol Protocol => protocol;

    /// <summary>Called on the receive loop for every data frame (for Socket.IO, the event's JSON argument).</summary>
    public Action<LoadSocket, ReadOnlyMemory<byte>, long>? OnFrame { get; set; }

    public bool IsOpen => socket.State == WebSocketState.Open;

    /// <summary>Why the receive loop ended, if it did.</summary>
    public string? Failure { get; private set; }

    /// <summary>Completes when the receive loop ends (the connection closed or broke).</summary>
    public Task Completion => receiving ?? Task.CompletedTask;

    public static async Task<LoadSocket> ConnectAsync(Uri uri, Protocol protocol, int index, IPAddress? source = null, int receiveBufferBytes = 16 * 1024, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.SetBuffer(Math.Max(receiveBufferBytes, 256), 256);
        await socket.ConnectAsync(uri, Invoker(source ?? IPAddress.Loopback), cancellationToken);
        var load = new LoadSocket(socket, protocol, index, receiveBufferBytes);
        if (protocol == Protocol.SocketIo)
        {
            await load.EngineHandshakeAsync(cancellationToken);
        }

        load.receiving = Task.Run(load.ReceiveAsync, CancellationToken.None);
        return load;
    }

    /// <summary>Sends one frame as it is (the caller wrapped it for Socket.IO, see <see cref="FrameTemplate"/>).</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> frame)
    {
        if (sendLock is null)
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            return;
        }

        await sendLock.WaitAsync();
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            sendLock.Release();
        }
    }

    private async Task EngineHandshakeAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var open = await socket.ReceiveAsync(buffer, cancellationToken);
        if (open.Count == 0 || buffer[0] != (byte)'0')
        {
            throw new InvalidOperationException("Socket.IO did not open with an Engine.IO handshake: " + Encoding.UTF8.GetString(buffer, 0, open.Count));
        }

        await socket.SendAsync("40"u8.ToArray(), WebSocketMessageType.Text, true, cancellationToken);
        var connect = await socket.ReceiveAsync(buffer, cancellationToken);
        if (connect.Count < 2 || buffer[0] != (byte)'4' || buffer[1] != (byte)'0')
        {
            throw new InvalidOperationException("Socket.IO refused the namespace connect: " + Encoding.UTF8.GetString(buffer, 0, connect.Count));
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[Math.Max(receiveBufferBytes, 256)];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Failure ??= $"closed by the server ({socket.CloseStatus} {socket.CloseStatusDescription})";
                    break;
                }

                var now = Stopwatch.GetTimestamp();
                var frame = buffer.AsMemory(0, count);
                if (protocol == Protocol.SocketIo)
                {
                    if (frame.Span.SequenceEqual(EnginePing))
                    {
                        await SendAsync(EnginePong);
                        continue;
                    }

                    // 42["msg",{...}] → the event's argument.
                    var start = frame.Span.IndexOf((byte)',');
                    if (count < 4 || frame.Span[0] != (byte)'4' || frame.Span[1] != (byte)'2' || start < 0)
                    {
                        continue;
                    }

                    frame = frame[(start + 1)..^1];
                }

                OnFrame?.Invoke(this, frame, now);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            Failure ??= e.Message;
        }
    }

    /// <summary>Drops the connection without a close handshake.</summary>
    public void Abort() => socket.Abort();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }

        socket.Abort();
        if (receiving is not null)
        {
            await receiving;
        }

        socket.Dispose();
        sendLock?.Dispose();
    }

    /// <summary>One handler per source address: its connect callback binds the socket to that address before connecting.</summary>
    private static HttpMessageInvoker Invoker(IPAddress source)
    {
        lock (Invokers)
        {
            if (!Invokers.TryGetValue(source, out var invoker))
            {
                var handler = new SocketsHttpHandler
                {
                    ConnectCallback = async (context, cancellationToken) =>
                    {
                        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                        try
                        {
                            tcp.Bind(new IPEndPoint(source, 0));
                            await tcp.ConnectAsync(context.DnsEndPoint, cancellationToken);
                            return new NetworkStream(tcp, ownsSocket: true);
                        }
                        catch
                        {
                            tcp.Dispose();
                            throw;
                        }
                    },
                };
                Invokers[source] = invoker = new HttpMessageInvoker(handler);
            }

            return invoker;
        }
    }
}
