using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Threading.Channels;
using Chat.Api.Extensions;

namespace Chat.Api.Realtime;

/// <summary>
/// One device's chat socket: a receive loop that hands each complete text frame to the frame
/// handler, and a bounded queue of frames to send. A client too slow to keep up is dropped (it
/// resyncs by seq when it reconnects) rather than letting its queue grow without bound. All writes
/// to the socket, the close included, go through the queue, since a WebSocket allows one sender at
/// a time: whoever queues a frame while no one is sending becomes the sender and writes what is
/// queued on its own thread, so an idle socket's frame costs no thread-pool wake-up; only a write
/// that cannot complete at once (the client is not reading fast enough) continues asynchronously.
/// </summary>
internal sealed class ChatConnection
{
    private const int InitialBufferSize = 4 * 1024;
    private static readonly Histogram<double> SendDelays = ChatMetrics.Meter.CreateHistogram<double>(
        "messenger.chat.socket.send_delay", "s", "From a frame queued for a socket until the socket took it");
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<Outgoing> outgoing;
    private readonly int maxFrameBytes;
    private readonly Lock focusLock = new();
    private readonly HashSet<Guid> focused = [];
    private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile WebSocket? socket;
    private CancellationToken aborted;
    private int closing;
    private int sending;
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
        if (outgoing.Writer.TryWrite(new Outgoing(frame, null, null, Stopwatch.GetTimestamp())))
        {
            Pump();
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
            await outgoing.Writer.WriteAsync(new Outgoing(frame, null, null, Stopwatch.GetTimestamp()));
            Pump();
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

        if (outgoing.Writer.TryWrite(new Outgoing(null, status, reason, 0)))
        {
            Pump();
        }
        else
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
            // Once a close frame is out (ours, or the socket's own when the client broke the protocol), the
            // connection ends when the client has read it or the handshake timed out; aborting would cut it off.
            if (socket is { State: not (WebSocketState.CloseSent or WebSocketState.Aborted or WebSocketState.Closed) } open)
            {
                open.Abort();
            }
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

    /// <summary>Receives until the socket closes, then waits for the queued frames to be written; <paramref name="handle"/> must not throw.</summary>
    public async Task RunAsync(WebSocket webSocket, Func<ChatConnection, ReadOnlyMemory<byte>, ValueTask> handle, CancellationToken cancellationToken)
    {
        aborted = cancellationToken;
        socket = webSocket;
        if (DropReason is not null)
        {
            webSocket.Abort();
            return;
        }

        // Frames queued before the socket was accepted.
        Pump();
        try
        {
            await ReceiveLoopAsync(webSocket, handle, cancellationToken);
        }
        catch (WebSocketException ex) when (ex.WebSocketErrorCode == WebSocketError.Faulted)
        {
            // The client broke the protocol (text that is not UTF-8, a bad frame header) and the socket
            // has sent its close frame (1007, 1002). Ending the connection at once can reset it before
            // the client has read that frame; it gets the close handshake's time to read it and go.
            await AwaitPeerGoneAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away or the connection was dropped: nothing left to tell it.
            webSocket.Abort();
        }
        finally
        {
            End();
            Pump();
            await drained.Task;
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

    /// <summary>Waits until the client has closed the connection (the request is aborted), at most the close handshake's time.</summary>
    private static async Task AwaitPeerGoneAsync(CancellationToken connectionClosed)
    {
        try
        {
            await Task.Delay(CloseHandshakeTimeout, connectionClosed);
        }
        catch (OperationCanceledException)
        {
            // The client read the close frame and went.
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

    /// <summary>Becomes the sender unless someone already is (or the socket is not accepted yet).</summary>
    private void Pump()
    {
        if (socket is not { } webSocket || Interlocked.CompareExchange(ref sending, 1, 0) != 0)
        {
            return;
        }

        _ = DrainAsync(webSocket);
    }

    /// <summary>
    /// Writes what is queued, synchronously as long as the socket takes it. Stops being the sender
    /// when the queue is empty, then looks once more, so a frame queued meanwhile is never stranded.
    /// </summary>
    private async Task DrainAsync(WebSocket webSocket)
    {
        try
        {
            while (true)
            {
                while (outgoing.Reader.TryRead(out var item))
                {
                    if (item.Frame is { } frame)
                    {
                        var write = webSocket.SendAsync(frame.AsMemory(), WebSocketMessageType.Text, endOfMessage: true, aborted);
                        if (!write.IsCompletedSuccessfully)
                        {
                            await write;
                        }

                        SendDelays.Record(Stopwatch.GetElapsedTime(item.QueuedAt).TotalSeconds);
                        continue;
                    }

                    if (webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await webSocket.CloseOutputAsync(item.CloseStatus!.Value, item.CloseReason, aborted);
                    }

                    _ = AbortUnlessClosedAsync(webSocket);
                    End();
                    drained.TrySetResult();
                    return; // stays the sender: nothing is written after the close
                }

                Volatile.Write(ref sending, 0);
                if (outgoing.Reader.Completion.IsCompleted)
                {
                    drained.TrySetResult();
                    return;
                }

                if (!outgoing.Reader.TryPeek(out _) || Interlocked.CompareExchange(ref sending, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Drop("The socket failed while sending.");
            drained.TrySetResult();
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

    private readonly record struct Outgoing(byte[]? Frame, WebSocketCloseStatus? CloseStatus, string? CloseReason, long QueuedAt);
}
