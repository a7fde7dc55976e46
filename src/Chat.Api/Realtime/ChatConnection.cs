using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Chat.Api.Extensions;

namespace Chat.Api.Realtime;

/// <summary>
/// One device's chat socket: a receive loop that hands each complete text frame to the frame
/// handler, and a send loop that drains a bounded queue. A client too slow to keep up is dropped
/// (it resyncs by seq when it reconnects) rather than letting its queue grow without bound. All
/// writes to the socket, the close included, go through the send loop, since a WebSocket allows
/// one sender at a time.
/// </summary>
internal sealed class ChatConnection
{
    private const int InitialBufferSize = 4 * 1024;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<Outgoing> outgoing;
    private readonly int maxFrameBytes;
    private readonly Lock focusLock = new();
    private readonly HashSet<Guid> focused = [];
    private WebSocket? socket;
    private int closing;
    private volatile bool ended;

    public ChatConnection(Guid userId, Guid sessionId, string username, ChatOptions options)
    {
        UserId = userId;
        SessionId = sessionId;
        Username = username;
        maxFrameBytes = options.MaxFrameBytes;
        RateLimit = new TokenBucket(options.RateLimit.Burst, options.RateLimit.PerSecond);
        outgoing = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(options.OutgoingQueueFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public Guid Id { get; } = Guid.CreateVersion7();

    public Guid UserId { get; }

    public Guid SessionId { get; }

    public string Username { get; }

    public TokenBucket RateLimit { get; }

    /// <summary>Why the server dropped the connection, if it did.</summary>
    public string? DropReason { get; private set; }

    /// <summary>Queues a frame; false (and the connection dropped) when the client is too far behind.</summary>
    public bool TrySend(byte[] frame)
    {
        if (outgoing.Writer.TryWrite(new Outgoing(frame, null, null)))
        {
            return true;
        }

        if (!ended)
        {
            Drop("The client did not keep up with its messages.");
        }

        return false;
    }

    /// <summary>
    /// Queues a frame the client asked for (a sync answer), waiting for room rather than dropping
    /// the client: a long catch-up goes at the pace the client reads. False once the connection ended.
    /// </summary>
    public async ValueTask<bool> SendAsync(byte[] frame)
    {
        try
        {
            await outgoing.Writer.WriteAsync(new Outgoing(frame, null, null));
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>Closes with <paramref name="status"/> after the frames already queued.</summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref closing, 1) == 1)
        {
            return;
        }

        if (!outgoing.Writer.TryWrite(new Outgoing(null, status, reason)))
        {
            Drop(reason);
        }
    }

    /// <summary>Ends the connection at once, without a close handshake.</summary>
    public void Drop(string reason)
    {
        DropReason ??= reason;
        End();
        try
        {
            socket?.Abort();
        }
        catch (ObjectDisposedException)
        {
            // Already closed and cleaned up.
        }
    }

    /// <summary>No more frames are accepted; the ones queued are still sent.</summary>
    private void End()
    {
        ended = true;
        outgoing.Writer.TryComplete();
    }

    public IReadOnlyCollection<Guid> Focused
    {
        get
        {
            lock (focusLock)
            {
                return [.. focused];
            }
        }
    }

    public void Focus(Guid conversationId)
    {
        lock (focusLock)
        {
            focused.Add(conversationId);
        }
    }

    public bool Blur(Guid conversationId)
    {
        lock (focusLock)
        {
            return focused.Remove(conversationId);
        }
    }

    /// <summary>Runs both loops until the socket closes; <paramref name="handle"/> must not throw.</summary>
    public async Task RunAsync(WebSocket webSocket, Func<ChatConnection, ReadOnlyMemory<byte>, ValueTask> handle, CancellationToken cancellationToken)
    {
        socket = webSocket;
        if (DropReason is not null)
        {
            webSocket.Abort();
            return;
        }

        var sending = SendLoopAsync(webSocket, cancellationToken);
        try
        {
            await ReceiveLoopAsync(webSocket, handle, cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away or the connection was dropped: nothing left to tell it.
            webSocket.Abort();
        }
        finally
        {
            End();
            await sending;
        }
    }

    private async Task ReceiveLoopAsync(WebSocket webSocket, Func<ChatConnection, ReadOnlyMemory<byte>, ValueTask> handle, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxFrameBytes + 1));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var result = await webSocket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Close(WebSocketCloseStatus.NormalClosure, "Bye.");
                    return;
                }

                count += result.Count;
                if (count > maxFrameBytes)
                {
                    Close(WebSocketCloseStatus.MessageTooBig, $"Frames are limited to {maxFrameBytes / 1024} KB.");
                    await AwaitPeerCloseAsync(webSocket, cancellationToken);
                    return;
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    TrySend(FrameWriter.Error(ErrorCodes.BadFrame, "Frames are JSON text, not binary."));
                }
                else
                {
                    await handle(this, buffer.AsMemory(0, count));
                }

                count = 0;
                if (buffer.Length > InitialBufferSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>After our close frame, reads (and discards) until the client answers with its own.</summary>
    private static async Task AwaitPeerCloseAsync(WebSocket webSocket, CancellationToken cancellationToken)
    {
        var scratch = new byte[1024];
        while (webSocket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var result = await webSocket.ReceiveAsync(scratch.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    private async Task SendLoopAsync(WebSocket webSocket, CancellationToken cancellationToken)
    {
        try
        {
            while (await outgoing.Reader.WaitToReadAsync(cancellationToken))
            {
                while (outgoing.Reader.TryRead(out var item))
                {
                    if (item.Frame is { } frame)
                    {
                        await webSocket.SendAsync(frame.AsMemory(), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                        continue;
                    }

                    if (webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await webSocket.CloseOutputAsync(item.CloseStatus!.Value, item.CloseReason, cancellationToken);
                    }

                    _ = AbortUnlessClosedAsync(webSocket);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Drop("The socket failed while sending.");
        }
    }

    /// <summary>The client has a few seconds to answer our close frame before the socket is cut.</summary>
    private static async Task AbortUnlessClosedAsync(WebSocket webSocket)
    {
        await Task.Delay(CloseHandshakeTimeout);
        try
        {
            webSocket.Abort();
        }
        catch (ObjectDisposedException)
        {
            // The handshake completed and the socket is gone.
        }
    }

    private readonly record struct Outgoing(byte[]? Frame, WebSocketCloseStatus? CloseStatus, string? CloseReason);
}
