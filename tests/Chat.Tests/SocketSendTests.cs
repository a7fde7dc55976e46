using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Chat.Api.Extensions;
using Chat.Api.Realtime;

namespace Chat.Tests;

/// <summary>
/// The chat socket's send path: whoever queues a frame while the socket is idle writes it at once,
/// from any thread. Over a real loopback TCP connection with WebSocket framing on both ends.
/// </summary>
public sealed class SocketSendTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task Frames_queued_from_many_threads_at_once_all_arrive_each_thread_in_its_order()
    {
        const int threads = 8;
        const int rounds = 1_000;
        await using var pair = await SocketPair.OpenAsync();
        var connection = new ChatConnection(Guid.NewGuid(), Guid.NewGuid(), "alice", new ChatOptions());
        var running = connection.RunAsync(pair.Server, (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Every round the threads queue one frame each at the same moment, and the next round starts
        // only when all of them arrived: a frame left in the queue with no one sending it stalls the test.
        using var round = new Barrier(threads + 1);
        var senders = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < rounds; i++)
            {
                round.SignalAndWait(TestContext.Current.CancellationToken);
                Assert.True(connection.TrySend(Encoding.UTF8.GetBytes($"{t}:{i}")));
            }
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        var next = new int[threads];
        for (var i = 0; i < rounds; i++)
        {
            round.SignalAndWait(TestContext.Current.CancellationToken);
            for (var f = 0; f < threads; f++)
            {
                var (thread, index) = Parse(await pair.ReceiveTextAsync(TimeSpan.FromSeconds(10)));
                Assert.Equal(next[thread], index);
                next[thread]++;
            }
        }

        await Task.WhenAll(senders);
        Assert.All(next, n => Assert.Equal(rounds, n));
        connection.Close(WebSocketCloseStatus.NormalClosure, "done");
        await pair.ExpectCloseAsync();
        await running;
    }

    [Fact(Timeout = 60_000)]
    public async Task A_close_goes_out_after_every_frame_queued_before_it()
    {
        await using var pair = await SocketPair.OpenAsync();
        var connection = new ChatConnection(Guid.NewGuid(), Guid.NewGuid(), "bob", new ChatOptions());

        // Queued before the socket runs: they wait for it, then go out in order, then the close.
        for (var i = 0; i < 100; i++)
        {
            Assert.True(connection.TrySend(Encoding.UTF8.GetBytes($"0:{i}")));
        }

        connection.Close(WebSocketCloseStatus.PolicyViolation, "The session was revoked.");
        var running = connection.RunAsync(pair.Server, (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal((0, i), Parse(await pair.ReceiveTextAsync()));
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await pair.ExpectCloseAsync());
        await running;
    }

    private static (int Thread, int Index) Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return (int.Parse(text[..colon], System.Globalization.CultureInfo.InvariantCulture), int.Parse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A server and a client WebSocket over a real loopback TCP connection.</summary>
    private sealed class SocketPair : IAsyncDisposable
    {
        private readonly byte[] buffer = new byte[64 * 1024];
        private readonly NetworkStream serverStream;
        private readonly NetworkStream clientStream;

        private SocketPair(NetworkStream serverStream, NetworkStream clientStream)
        {
            this.serverStream = serverStream;
            this.clientStream = clientStream;
            Server = WebSocket.CreateFromStream(serverStream, new WebSocketCreationOptions { IsServer = true });
            Client = WebSocket.CreateFromStream(clientStream, new WebSocketCreationOptions { IsServer = false });
        }

        public WebSocket Server { get; }

        public WebSocket Client { get; }

        public static async Task<SocketPair> OpenAsync()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var accepting = listener.AcceptSocketAsync(Cancellation);
            await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, Cancellation);
            var server = await accepting;
            return new SocketPair(new NetworkStream(server, ownsSocket: true), new NetworkStream(client, ownsSocket: true));
        }

        public async Task<string> ReceiveTextAsync(TimeSpan? within = null)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            timeout.CancelAfter(within ?? TimeSpan.FromSeconds(30));
            var result = await Client.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            Assert.True(result.EndOfMessage);
            return Encoding.UTF8.GetString(buffer, 0, result.Count);
        }

        public async Task<WebSocketCloseStatus?> ExpectCloseAsync()
        {
            var result = await Client.ReceiveAsync(buffer.AsMemory(), Cancellation);
            Assert.Equal(WebSocketMessageType.Close, result.MessageType);
            await Client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Cancellation);
            return Client.CloseStatus;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Server.Dispose();
            await clientStream.DisposeAsync();
            await serverStream.DisposeAsync();
        }
    }
}
