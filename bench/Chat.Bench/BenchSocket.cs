using System.Buffers.Text;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace Chat.Bench;

/// <summary>
/// A chat socket that stamps the arrival of acks and messages by clientMessageId (the benchmark
/// numbers them <c>{run}-{index}</c>), reading frames with a byte search rather than a JSON parser so
/// the client spends as little of the shared CPU as it can.
/// </summary>
internal sealed class BenchSocket
{
    private static readonly byte[] ClientMessageIdField = Encoding.UTF8.GetBytes("\"clientMessageId\":\"");
    private static readonly byte[] AckPrefix = Encoding.UTF8.GetBytes("{\"type\":\"ack\"");
    private static readonly byte[] MessagePrefix = Encoding.UTF8.GetBytes("{\"type\":\"message\"");

    private readonly ClientWebSocket socket;
    private readonly Task receiving;

    private BenchSocket(ClientWebSocket socket)
    {
        this.socket = socket;
        receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>Where the current run records arrival times; index = the message's number in the run.</summary>
    public RunClock? Clock { get; set; }

    public static async Task<BenchSocket> ConnectAsync(Uri chat, string accessToken)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{chat.Authority}/chat?access_token={Uri.EscapeDataString(accessToken)}"), CancellationToken.None);
        return new BenchSocket(socket);
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> frame) => socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                var now = Stopwatch.GetTimestamp();
                var frame = buffer.AsSpan(0, count);
                if (Clock is not { } clock)
                {
                    continue;
                }

                var isAck = frame.StartsWith(AckPrefix);
                if (!isAck && !frame.StartsWith(MessagePrefix))
                {
                    continue;
                }

                var at = frame.IndexOf(ClientMessageIdField);
                if (at < 0)
                {
                    continue;
                }

                var id = frame[(at + ClientMessageIdField.Length)..];
                id = id[..id.IndexOf((byte)'"')];
                var dash = id.IndexOf((byte)'-');
                if (!Utf8Parser.TryParse(id[..dash], out int run, out _) || run != clock.Run || !Utf8Parser.TryParse(id[(dash + 1)..], out int index, out _))
                {
                    continue;
                }

                clock.Record(isAck, index, now);
            }
        }
        catch (WebSocketException)
        {
        }
    }
}

/// <summary>Send and arrival times of one run's messages.</summary>
internal sealed class RunClock(int run, int count)
{
    public int Run => run;

    public long[] Sent { get; } = new long[count];

    public long[] Acked { get; } = new long[count];

    public long[] Delivered { get; } = new long[count];

    public int AckCount;

    public int DeliveredCount;

    public void Record(bool ack, int index, long timestamp)
    {
        if (index >= count)
        {
            return;
        }

        if (ack)
        {
            Acked[index] = timestamp;
            Interlocked.Increment(ref AckCount);
        }
        else
        {
            Delivered[index] = timestamp;
            Interlocked.Increment(ref DeliveredCount);
        }
    }
}
