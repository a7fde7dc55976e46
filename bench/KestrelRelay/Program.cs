using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;

// Two sockets that connect with the same ?pair= are joined; every text frame one sends is sent to the
// other as it is. No parsing, no storage: what a WebSocket server costs on this machine.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();
app.UseWebSockets();
var waiting = new ConcurrentDictionary<string, PairSlot>();

app.Map("/relay", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest || context.Request.Query["pair"].ToString() is not { Length: > 0 } pair)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    var me = new RelayPeer(socket);
    var mine = new PairSlot(me);
    var slot = waiting.GetOrAdd(pair, mine);
    RelayPeer peer;
    if (ReferenceEquals(slot, mine))
    {
        peer = await mine.Second.Task.WaitAsync(context.RequestAborted);
    }
    else
    {
        waiting.TryRemove(pair, out _);
        slot.Second.SetResult(me);
        peer = slot.First;
    }

    await Task.WhenAll(me.ReceiveAsync(peer), me.SendAsync());
});

app.Run();

internal sealed record PairSlot(RelayPeer First)
{
    public TaskCompletionSource<RelayPeer> Second { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

internal sealed class RelayPeer(WebSocket socket)
{
    private readonly Channel<byte[]> outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(byte[] frame) => outgoing.Writer.TryWrite(frame);

    public async Task ReceiveAsync(RelayPeer peer)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan().CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                peer.Enqueue(buffer.AsSpan(0, count).ToArray());
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            outgoing.Writer.TryComplete();
        }
    }

    public async Task SendAsync()
    {
        try
        {
            await foreach (var frame in outgoing.Reader.ReadAllAsync())
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
        }
    }
}
