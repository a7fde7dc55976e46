using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;

namespace Messenger.Bench.Scenarios;

/// <summary>
/// A child process of the connections scenario: one process may hold only as many sockets as its
/// open-file limit allows, so the scenario spreads the sockets over several of these, each bound to
/// its own 127.x.y.z source address. It opens its share at a given rate, reports progress on stdout,
/// and answers "hb N" on stdin by timing N heartbeats (ping → pong, or for a relay a frame to the peer).
/// </summary>
internal static class ConnectionsWorker
{
    private static readonly byte[] PingFrame = "{\"type\":\"ping\"}"u8.ToArray();
    private static readonly byte[] PongPrefix = "{\"type\":\"pong\""u8.ToArray();
    private static readonly byte[] HeartbeatField = "\"hb\":"u8.ToArray();

    public static async Task<int> RunAsync(BenchOptions o)
    {
        var protocol = Enum.Parse<Protocol>(o.Text("protocol", "Messenger"), ignoreCase: true);
        var target = o.Text("target", "");
        var first = o.Int("first", 0, 0);
        var count = o.Int("count", 0, 0);
        var source = IPAddress.Parse(o.Text("source", "127.0.0.1"));
        var rate = o.Double("rate", 1_000, 1_000);
        var tokens = protocol == Protocol.Messenger ? await File.ReadAllLinesAsync(o.Text("tokens", "")) : [];
        var sockets = new LoadSocket?[count];
        var pending = new TaskCompletionSource<long>?[count];
        var opened = 0;
        var failed = 0;
        string? firstFailure = null;

        void OnFrame(LoadSocket socket, ReadOnlyMemory<byte> frame, long at)
        {
            var local = socket.Index - first;
            var span = frame.Span;
            if (protocol == Protocol.Messenger)
            {
                if (span.StartsWith(PongPrefix))
                {
                    pending[local]?.TrySetResult(at);
                }

                return;
            }

            var hb = span.IndexOf(HeartbeatField);
            if (hb >= 0 && Utf8Parser.TryParse(span[(hb + HeartbeatField.Length)..], out int from, out _) && from - first is var sender && sender >= 0 && sender < count)
            {
                pending[sender]?.TrySetResult(at);
            }
        }

        using var progress = new Timer(_ => Console.WriteLine($"opened {Volatile.Read(ref opened)} failed {Volatile.Read(ref failed)}"), null, 1000, 1000);
        var start = Stopwatch.GetTimestamp();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var due = start + (long)(i / rate * Stopwatch.Frequency);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                }

                var global = first + i;
                var uri = protocol switch
                {
                    Protocol.Messenger => new Uri($"ws://{target}/chat?access_token={Uri.EscapeDataString(tokens[global % tokens.Length])}"),
                    Protocol.KestrelRelay => new Uri($"ws://{target}/relay?pair={global / 2}"),
                    _ => new Uri($"ws://{target}/socket.io/?EIO=4&transport=websocket&pair={global / 2}"),
                };
                try
                {
                    var socket = await LoadSocket.ConnectAsync(uri, protocol, global, source, receiveBufferBytes: 1024);
                    socket.OnFrame = OnFrame;
                    sockets[i] = socket;
                    Interlocked.Increment(ref opened);
                }
                catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or HttpRequestException or IOException or InvalidOperationException or OperationCanceledException)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, e.Message + (e.InnerException is { } inner ? " — " + inner.Message : ""), null);
                }
            }
        })));
        await progress.DisposeAsync();
        Console.WriteLine($"ready {opened} failed {failed}" + (firstFailure is null ? "" : $" first-failure {firstFailure}"));

        var random = new Random(first);
        while (await Console.In.ReadLineAsync() is { } command && command != "stop")
        {
            if (!command.StartsWith("hb ", StringComparison.Ordinal))
            {
                continue;
            }

            var samples = int.Parse(command[3..], CultureInfo.InvariantCulture);
            var chosen = Enumerable.Range(0, samples).Select(_ => random.Next(count)).Where(i => sockets[i] is { IsOpen: true }).Distinct()
                .Where(i => protocol == Protocol.Messenger || (i ^ 1) < count).ToList();
            var results = await Task.WhenAll(chosen.Select(async i =>
            {
                var done = pending[i] = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    await sockets[i]!.SendAsync(Heartbeat(protocol, first + i));
                    var arrived = await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
                    return StepLedger.Milliseconds(sent, arrived).ToString("0.###", CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is TimeoutException or System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException)
                {
                    return "x";
                }
                finally
                {
                    pending[i] = null;
                }
            }));
            Console.WriteLine("hb " + string.Join(',', results));
        }

        // Thousands of polite closes would take minutes; the server sees the sockets reset instead.
        foreach (var socket in sockets)
        {
            socket?.Abort();
        }

        return 0;
    }

    private static byte[] Heartbeat(Protocol protocol, int index) => protocol switch
    {
        Protocol.Messenger => PingFrame,
        Protocol.KestrelRelay => Encoding.UTF8.GetBytes($"{{\"hb\":{index}}}"),
        _ => Encoding.UTF8.GetBytes($"42[\"msg\",{{\"hb\":{index}}}]"),
    };
}
