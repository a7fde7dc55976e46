using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using CsCheck;
using Messenger.SecurityTests.Infrastructure;
using Messenger.Testing.Services;

namespace Messenger.SecurityTests.Fuzzing;

/// <summary>
/// Hostile frames of every client frame type on the chat socket (docs/chat-protocol.md): wrong
/// types, huge numbers, deep nesting, invalid UTF-8, control characters, binary and fragmented
/// frames, oversized fields and frames. A bad frame gets an <c>error</c> frame and the socket stays
/// open; the only closes are the documented ones (1009 for a frame over the limit, 1007 for text that
/// is not UTF-8); the server never answers <c>unavailable</c> to bad input and logs no error.
/// </summary>
public sealed class WebSocketFuzzTests(SecuritySystem system, ITestOutputHelper output) : IAsyncLifetime
{
    public const int Cases = 40_000;

    /// <summary>Chat's frame limit (<c>Chat:MaxFrameBytes</c>): a longer frame is closed with 1009.</summary>
    public const int MaxFrameBytes = 64 * 1024;
    private const int Connections = 6;
    private const int BatchSize = 40;
    private const string Surface = "ws";

    private static readonly string[] FrameTypes = ["send", "typing", "read", "sync", "edit", "delete", "react", "unreact", "focus", "blur", "ping"];
    private static readonly string[] ContentKinds = ["text", "image", "file"];

    private Tokens writer = null!;
    private Tokens partner = null!;
    private Guid busy;
    private Guid quiet;
    private Guid[] messages = [];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        writer = await system.NewUserAsync("wsfuzz");
        partner = await system.NewUserAsync("wspartner");
        var bystander = await system.NewUserAsync("wsquiet");
        busy = await system.GroupAsync(writer, "busy", partner);
        quiet = await system.DirectConversationAsync(writer, bystander);
        messages = [await system.SendAsync(writer, busy, "first"), await system.SendAsync(partner, busy, "second"), await system.SendAsync(writer, busy, "third")];
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Hostile_frames_get_error_frames_or_documented_closes_and_leave_no_error_in_the_logs()
    {
        var seed = FuzzRun.Seed;
        var failures = new FuzzFailures();
        var answers = new ConcurrentDictionary<string, int>();
        var started = DateTime.UtcNow;
        if (FuzzRun.Replay(Surface) is { } replay)
        {
            var frame = Generate(FuzzRun.For(replay.Seed, replay.Index));
            output.WriteLine($"Replaying {frame}");
            await using var socket = await FuzzSocket.ConnectAsync(system.FuzzChat, writer.AccessToken);
            var outcome = await socket.RunBatchAsync([frame], answers);
            output.WriteLine(outcome.Describe());
            Assert.True(outcome.Failure is null, outcome.Failure);
            return;
        }

        var next = -BatchSize;
        var framesSent = 0;
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(connection => Task.Run(async () =>
        {
            var user = connection % 2 == 0 ? writer : partner;
            FuzzSocket? socket = null;
            try
            {
                int first;
                while ((first = Interlocked.Add(ref next, BatchSize)) < Cases)
                {
                    IReadOnlyList<FuzzFrame> pending = [.. Enumerable.Range(first, Math.Min(BatchSize, Cases - first)).Select(i => Generate(FuzzRun.For(seed, i)))];
                    var last = first + pending.Count - 1;
                    while (pending.Count > 0)
                    {
                        socket ??= await FuzzSocket.ConnectAsync(system.FuzzChat, user.AccessToken);
                        var outcome = await socket.RunBatchAsync(pending, answers);
                        Interlocked.Add(ref framesSent, outcome.Sent);
                        if (outcome.Failure is { } failure)
                        {
                            failures.Add($"cases {FuzzRun.Name(Surface, seed, first)} to {last}: {failure}", outcome.Kind);
                        }

                        if (outcome.Closed)
                        {
                            await socket.DisposeAsync();
                            socket = null;
                        }

                        pending = outcome.Unsent;
                    }
                }
            }
            finally
            {
                if (socket is not null)
                {
                    await socket.DisposeAsync();
                }
            }
        })));

        output.WriteLine($"{framesSent:N0} WebSocket frames on {Connections} connections in {(DateTime.UtcNow - started).TotalSeconds:0.0} s (seed {seed}).");
        Assert.Equal(Cases, framesSent);
        output.WriteLine("Answers: " + string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key}×{a.Value}")));
        Assert.True(failures.Count == 0, failures + Environment.NewLine + "Chat's warnings:" + Environment.NewLine
            + system.Logs.Describe(system.Logs.Warnings.Where(w => w.Service.StartsWith("chat", StringComparison.Ordinal))));
        Assert.True(system.Logs.Problems.Count == 0, "Errors in the services' logs:" + Environment.NewLine + system.Logs.Describe(system.Logs.Problems));
    }

    private FuzzFrame Generate(PCG pcg)
    {
        var kind = Hostile.Next(pcg, 100);
        if (kind < 1)
        {
            var text = "{\"type\":\"send\",\"text\":\"" + new string('x', 64 * 1024 + Hostile.Next(pcg, 64 * 1024)) + "\"}";
            return new FuzzFrame(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, Expect.TooBig);
        }

        if (kind < 4)
        {
            var bytes = new byte[Hostile.Next(pcg, 200)];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)Hostile.Next(pcg, 256);
            }

            return new FuzzFrame(bytes, WebSocketMessageType.Binary, Expect.Answer);
        }

        var json = new StringBuilder();
        if (kind < 12)
        {
            Hostile.Value(json, pcg, 0);
        }
        else if (kind < 16)
        {
            json.Append(Hostile.DeepNesting(pcg));
        }
        else if (kind < 19)
        {
            json.Append(Hostile.Pick(pcg, ["", " ", "null", "[]", "{}", "{\"type\":null}", "{\"type\":1}", "{\"type\":\"\"}", "{", "}{", "{\"type\":\"ping\"}{\"type\":\"ping\"}"]));
        }
        else
        {
            FrameObject(json, pcg);
        }

        var utf8 = Encoding.UTF8.GetBytes(json.ToString());
        if (Hostile.Chance(pcg, 6))
        {
            utf8 = Hostile.Corrupt(utf8, pcg);
        }

        var fragments = Hostile.Chance(pcg, 3) ? 2 + Hostile.Next(pcg, 4) : 1;
        // Hostile text may be long enough (70,000 characters, six bytes each when escaped) to pass the frame limit.
        var expect = (Utf8.IsValid(utf8), utf8.Length > MaxFrameBytes) switch
        {
            (true, false) => Expect.Answer,
            (false, false) => Expect.InvalidText,
            (true, true) => Expect.TooBig,
            // Which comes first depends on where the bad byte is and how the frame arrives: either close is documented.
            (false, true) => Expect.TooBigOrInvalidText,
        };
        return new FuzzFrame(utf8, WebSocketMessageType.Text, expect, fragments);
    }

    /// <summary>A frame object of a known (or unknown) type with its fields, each plausible or hostile.</summary>
    private void FrameObject(StringBuilder json, PCG pcg)
    {
        var type = Hostile.Chance(pcg, 92) ? Hostile.Pick(pcg, FrameTypes) : Hostile.Text(pcg);
        var fields = new List<(string Name, Action Write)>
        {
            ("type", () => Hostile.Quoted(json, type, pcg)),
        };
        void Add(string name, Action write)
        {
            if (Hostile.Chance(pcg, 85))
            {
                fields.Add((name, Hostile.Chance(pcg, 15) ? () => Hostile.Value(json, pcg, 1) : write));
            }
        }

        // sync answers with up to 500 messages: it reads the quiet conversation, never the busy one.
        var conversation = type == "sync" ? Hostile.Pick(pcg, [quiet, Hostile.AnyId(pcg)]) : Hostile.Chance(pcg, 70) ? busy : Hostile.Pick(pcg, [quiet, Hostile.AnyId(pcg)]);
        Add("conversationId", () => Guid(conversation));
        Add("requestId", () => Hostile.Quoted(json, Hostile.Text(pcg), pcg));
        switch (type)
        {
            case "send":
                Add("clientMessageId", () => Hostile.Quoted(json, Hostile.Chance(pcg, 50) ? System.Guid.NewGuid().ToString() : Hostile.Text(pcg), pcg));
                Add("content", () => Content(json, pcg));
                if (Hostile.Chance(pcg, 20))
                {
                    Add("replyTo", () => Guid(Hostile.Pick(pcg, messages)));
                }

                break;
            case "read":
                Add("seq", () => json.Append(Hostile.Chance(pcg, 50) ? Hostile.Next(pcg, 100).ToString(System.Globalization.CultureInfo.InvariantCulture) : Hostile.Number(pcg)));
                break;
            case "sync":
                Add("afterSeq", () => json.Append(Hostile.Chance(pcg, 50) ? Hostile.Next(pcg, 100).ToString(System.Globalization.CultureInfo.InvariantCulture) : Hostile.Number(pcg)));
                break;
            case "edit":
                Add("messageId", () => Guid(Hostile.Pick(pcg, messages)));
                Add("content", () => Content(json, pcg));
                break;
            case "delete":
                // Deleting the seed messages would leave edits and reactions nothing to work on: mostly someone else's or unknown ids.
                Add("messageId", () => Guid(Hostile.Chance(pcg, 20) ? messages[1] : Hostile.AnyId(pcg)));
                break;
            case "react" or "unreact":
                Add("messageId", () => Guid(Hostile.Pick(pcg, messages)));
                Add("emoji", () => Hostile.Quoted(json, Hostile.Chance(pcg, 40) ? Hostile.Pick(pcg, ["👍", "❤", "😂", "x"]) : Hostile.Text(pcg), pcg));
                break;
        }

        if (Hostile.Chance(pcg, 10))
        {
            fields.Add((Hostile.Text(pcg), () => Hostile.Value(json, pcg, 1)));
        }

        json.Append('{');
        for (var i = 0; i < fields.Count; i++)
        {
            json.Append(i > 0 ? "," : "");
            Hostile.Quoted(json, fields[i].Name, pcg);
            json.Append(':');
            fields[i].Write();
        }

        json.Append('}');

        void Guid(Guid id)
        {
            if (Hostile.Chance(pcg, 10))
            {
                Hostile.Quoted(json, Hostile.Text(pcg), pcg);
            }
            else
            {
                json.Append('"').Append(id).Append('"');
            }
        }
    }

    private static void Content(StringBuilder json, PCG pcg)
    {
        var kind = Hostile.Chance(pcg, 90) ? Hostile.Pick(pcg, ContentKinds) : Hostile.Text(pcg);
        json.Append("{\"kind\":");
        Hostile.Quoted(json, kind, pcg);
        void Field(string name, Action write)
        {
            json.Append(",\"").Append(name).Append("\":");
            write();
        }

        if (kind == "text" || Hostile.Chance(pcg, 30))
        {
            Field("text", () => Hostile.Quoted(json, Hostile.Chance(pcg, 30) ? "hello" : Hostile.Text(pcg), pcg));
        }

        if (kind != "text" || Hostile.Chance(pcg, 10))
        {
            if (Hostile.Chance(pcg, 50))
            {
                Field("url", () => Hostile.Quoted(json, Hostile.Chance(pcg, 50) ? "https://files.example/a.png" : Hostile.Text(pcg), pcg));
            }
            else
            {
                Field("attachmentId", () => Hostile.Quoted(json, Hostile.Chance(pcg, 50) ? System.Guid.NewGuid().ToString() : Hostile.Text(pcg), pcg));
            }

            Field("name", () => Hostile.Quoted(json, Hostile.Text(pcg), pcg));
            Field("size", () => json.Append(Hostile.Number(pcg)));
            Field("mimeType", () => Hostile.Quoted(json, Hostile.Chance(pcg, 50) ? "image/png" : Hostile.Text(pcg), pcg));
            if (Hostile.Chance(pcg, 30))
            {
                Field("width", () => json.Append(Hostile.Number(pcg)));
                Field("height", () => json.Append(Hostile.Number(pcg)));
            }
        }

        json.Append('}');
    }
}

public enum Expect
{
    /// <summary>Any answer or none; the socket stays open.</summary>
    Answer,

    /// <summary>A text frame that is not UTF-8: closed with 1007 (RFC 6455 §8.1), the close frame read before the connection ends.</summary>
    InvalidText,

    /// <summary>Over the frame limit: closed with 1009.</summary>
    TooBig,

    /// <summary>Over the frame limit and not UTF-8: 1009 or 1007, whichever the server meets first.</summary>
    TooBigOrInvalidText,
}

public sealed record FuzzFrame(byte[] Bytes, WebSocketMessageType Type, Expect Expect, int Fragments = 1)
{
    public override string ToString() =>
        $"{Type} frame of {Bytes.Length:N0} bytes in {Fragments} fragment(s), expecting {Expect}: {Encoding.UTF8.GetString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 300)))}";
}

/// <summary>A fuzzing client: sends a batch of frames and then a probe whose answer shows every frame before it was handled.</summary>
public sealed class FuzzSocket : IAsyncDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);
    private readonly ClientWebSocket socket;
    private readonly Task receiving;
    private readonly ConcurrentQueue<string> unavailable = new();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool> probeAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ConcurrentDictionary<string, int>? answers;
    private string probeId = "";
    private int probes;

    private FuzzSocket(ClientWebSocket socket)
    {
        this.socket = socket;
        receiving = Task.Run(ReceiveLoopAsync);
    }

    public static async Task<FuzzSocket> ConnectAsync(ServiceApp<Chat.Api.IApiMarker> chat, string accessToken)
    {
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(chat.BaseAddress) { Scheme = "ws", Path = "/chat", Query = "access_token=" + Uri.EscapeDataString(accessToken) };
        await socket.ConnectAsync(uri.Uri, TestContext.Current.CancellationToken);
        return new FuzzSocket(socket);
    }

    public sealed record Outcome(bool Closed, string? Failure, WebSocketCloseStatus? CloseStatus)
    {
        /// <summary>How many of the batch's frames went out.</summary>
        public int Sent { get; init; }

        /// <summary>The frames after one that ended the connection: they go out on the next connection.</summary>
        public IReadOnlyList<FuzzFrame> Unsent { get; init; } = [];

        public string Kind => Failure is null ? "none"
            : Failure.StartsWith("the server answered", StringComparison.Ordinal) ? "unavailable"
            : Failure.StartsWith("no answer", StringComparison.Ordinal) ? "no answer"
            : $"closed {CloseStatus?.ToString() ?? "without close frame"}";

        public string Describe() => Failure ?? (Closed ? $"closed with {CloseStatus}" : "answered");
    }

    /// <summary>Sends the frames (a frame that ends the connection goes last) and waits for the probe's answer or the close.</summary>
    public async Task<Outcome> RunBatchAsync(IReadOnlyList<FuzzFrame> frames, ConcurrentDictionary<string, int> counts)
    {
        answers = counts;
        probeId = "probe-" + Interlocked.Increment(ref probes);
        probeAnswered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ordered = frames.OrderBy(f => f.Expect).ToList();
        FuzzFrame? last = null;
        var sent = 0;
        try
        {
            foreach (var frame in ordered)
            {
                last = frame;
                sent++;
                await SendAsync(frame);
                if (frame.Expect != Expect.Answer)
                {
                    break;
                }
            }

            // After a frame that ends the connection nothing more is sent: a frame the server never reads
            // would make its close a reset, and a reset can discard the close frame before the client reads it.
            if (last?.Expect == Expect.Answer)
            {
                var probe = $"{{\"type\":\"sync\",\"conversationId\":\"{Guid.NewGuid()}\",\"afterSeq\":0,\"requestId\":\"{probeId}\"}}";
                await socket.SendAsync(Encoding.UTF8.GetBytes(probe), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException)
        {
            // The server closed while we were sending; the close status below says whether that was documented.
        }

        var outcome = await AwaitOutcomeAsync(last, counts);
        return outcome with { Sent = sent, Unsent = ordered[sent..] };
    }

    private async Task<Outcome> AwaitOutcomeAsync(FuzzFrame? last, ConcurrentDictionary<string, int> counts)
    {
        var done = await Task.WhenAny(probeAnswered.Task, closed.Task, Task.Delay(AnswerTimeout));
        var failure = unavailable.TryDequeue(out var frameText) ? $"the server answered 'unavailable' to bad input: {frameText}; last frame sent: {last}" : null;
        if (done == probeAnswered.Task)
        {
            return new Outcome(false, failure, null);
        }

        if (done == closed.Task)
        {
            var status = closed.Task.Result;
            // Text that is not UTF-8 is closed with 1007 by the WebSocket itself; Chat keeps the connection until
            // the client has read that close frame, so a connection that ends without one is a failure too.
            var documented = (status, last?.Expect) switch
            {
                (WebSocketCloseStatus.MessageTooBig, Expect.TooBig or Expect.TooBigOrInvalidText) => true,
                (WebSocketCloseStatus.InvalidPayloadData, Expect.InvalidText or Expect.TooBigOrInvalidText) => true,
                _ => false,
            };
            counts.AddOrUpdate("close " + (status?.ToString() ?? "without a close frame"), 1, (_, n) => n + 1);
            return new Outcome(true, failure ?? (documented ? null : $"the connection ended ({status?.ToString() ?? "no close frame"} \"{socket.CloseStatusDescription}\") after {last}"), status);
        }

        return new Outcome(true, failure ?? $"no answer within {AnswerTimeout.TotalSeconds:0} s after {last}", null);
    }

    private async Task SendAsync(FuzzFrame frame)
    {
        var cancellation = TestContext.Current.CancellationToken;
        if (frame.Fragments <= 1 || frame.Bytes.Length < frame.Fragments)
        {
            await socket.SendAsync(frame.Bytes, frame.Type, true, cancellation);
            return;
        }

        var size = frame.Bytes.Length / frame.Fragments;
        for (var i = 0; i < frame.Fragments; i++)
        {
            var end = i == frame.Fragments - 1 ? frame.Bytes.Length : (i + 1) * size;
            await socket.SendAsync(frame.Bytes.AsMemory(i * size, end - (i * size)), frame.Type, i == frame.Fragments - 1, cancellation);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1024 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage && count < buffer.Length);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    closed.TrySetResult(socket.CloseStatus);
                    return;
                }

                using var frame = JsonDocument.Parse(buffer.AsMemory(0, count));
                var type = frame.RootElement.GetProperty("type").GetString()!;
                var key = type == "error" ? "error " + frame.RootElement.GetProperty("code").GetString() : type;
                answers?.AddOrUpdate(key, 1, (_, n) => n + 1);
                if (key == "error unavailable")
                {
                    unavailable.Enqueue(Encoding.UTF8.GetString(buffer, 0, count));
                }

                if (frame.RootElement.TryGetProperty("requestId", out var requestId) && requestId.ValueKind == JsonValueKind.String && requestId.GetString() == probeId)
                {
                    probeAnswered.TrySetResult(true);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            closed.TrySetResult(socket.CloseStatus);
        }
    }

    public async ValueTask DisposeAsync()
    {
        socket.Abort();
        await receiving;
        socket.Dispose();
    }
}
