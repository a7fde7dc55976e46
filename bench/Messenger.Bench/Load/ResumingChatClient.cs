using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace Messenger.Bench.Load;

/// <summary>
/// One user's chat socket that behaves like the web client (web/js/socket.js): on a socket error it
/// reconnects with back-off (to the next Chat instance when one refuses), then sends <c>sync</c>
/// with the highest seq it has seen without a hole for each of its conversations and resends every
/// unacked message under the same clientMessageId; <c>unavailable</c> and <c>rate_limited</c> errors
/// resend after 2 s; a hole in the seqs that does not fill within 1.5 s asks for a <c>sync</c>; a
/// ping unanswered for 10 s drops the connection. Every ack goes to the <see cref="DeliveryLedger"/>,
/// every received message to <see cref="Received"/>.
/// </summary>
internal sealed class ResumingChatClient : IAsyncDisposable
{
    private static readonly int[] BackoffMs = [500, 1_000, 2_000, 5_000, 10_000];
    private static readonly TimeSpan GapGrace = TimeSpan.FromMilliseconds(1_500);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan PongWithin = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan TokenRefreshAfter = TimeSpan.FromMinutes(10);

    private readonly Uri auth;
    private readonly IReadOnlyList<Uri> endpoints;
    private readonly DeliveryLedger ledger;
    private readonly ConcurrentDictionary<string, byte[]> outbox = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, Tracker> trackers = [];
    private readonly Dictionary<Guid, Dictionary<long, Guid>> received = [];
    private readonly Lock gate = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly CancellationTokenSource stop = new();
    private LoadSocket? socket;
    private Task? running;
    private int endpoint;
    private long created;
    private long lastFrameAt;
    private long tokensAt = Environment.TickCount64;

    public ResumingChatClient(int index, Tokens user, Uri auth, IReadOnlyList<Uri> endpoints, DeliveryLedger ledger)
    {
        Index = index;
        User = user;
        this.auth = auth;
        this.endpoints = endpoints;
        this.ledger = ledger;
        endpoint = index % endpoints.Count;
    }

    public int Index { get; }

    public Tokens User { get; private set; }

    public bool IsOpen => socket?.IsOpen == true;

    /// <summary>Sockets opened after the first.</summary>
    public int Reconnects { get; private set; }

    public int Connects { get; private set; }

    /// <summary>Send frames sent again for a message sent before (after a reconnect or a retryable error).</summary>
    public int Resends { get; private set; }

    /// <summary>Gap syncs (a hole in the seqs that did not fill by itself).</summary>
    public int GapSyncs { get; private set; }

    /// <summary>Error frames by code.</summary>
    public ConcurrentDictionary<string, int> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>A seq received twice with different message ids (two messages under one seq).</summary>
    public int ConflictingReceipts { get; private set; }

    public int Unacked => outbox.Count;

    /// <summary>Conversations this client takes part in; call before <see cref="Start"/>.</summary>
    public void Join(Guid conversationId)
    {
        lock (gate)
        {
            trackers.TryAdd(conversationId, new Tracker());
            received.TryAdd(conversationId, []);
        }
    }

    /// <summary>The highest seq up to which this client has every message of the conversation.</summary>
    public long Contiguous(Guid conversationId)
    {
        lock (gate)
        {
            return trackers.TryGetValue(conversationId, out var tracker) ? tracker.Contiguous : 0;
        }
    }

    /// <summary>The message id this client received (live, in a sync answer or as its own ack) for a seq.</summary>
    public Guid? Received(Guid conversationId, long seq)
    {
        lock (gate)
        {
            return received.TryGetValue(conversationId, out var seqs) && seqs.TryGetValue(seq, out var id) ? id : null;
        }
    }

    public void Start() => running = Task.Run(RunAsync);

    /// <summary>Writes a new text message into the conversation; it stays in the outbox until acked.</summary>
    public SentMessage Send(Guid conversationId)
    {
        var message = ledger.Create(conversationId, Index, Interlocked.Increment(ref created));
        var frame = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = "send",
            clientMessageId = message.ClientMessageId,
            conversationId,
            content = new { kind = "text", text = $"message {message.ClientMessageId} from client {Index}" },
        });
        outbox[message.ClientMessageId] = frame;
        if (socket is { IsOpen: true } open)
        {
            _ = SendFrameAsync(open, frame);
        }

        return message;
    }

    private async Task RunAsync()
    {
        var attempt = 0;
        while (!stop.IsCancellationRequested)
        {
            // Access tokens live 15 minutes; an open socket outlives its token, a new one needs a fresh token.
            await RefreshTokensIfOldAsync();

            LoadSocket ws;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                timeout.CancelAfter(ConnectTimeout);
                ws = await LoadSocket.ConnectAsync(MessengerClient.ChatSocketUri(endpoints[endpoint], User.AccessToken), Protocol.Messenger, Index, cancellationToken: timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or OperationCanceledException or IOException)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                // That instance is gone or not answering: the next attempt goes to another one.
                endpoint = (endpoint + 1) % endpoints.Count;
                await BackOffAsync(attempt++);
                continue;
            }

            attempt = 0;
            if (Connects++ > 0)
            {
                Reconnects++;
            }

            lastFrameAt = Environment.TickCount64;
            ws.OnFrame = (_, frame, _) =>
            {
                lastFrameAt = Environment.TickCount64;
                Handle(ws, frame);
            };
            socket = ws;
            using var connection = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            var heartbeat = HeartbeatAsync(ws, connection.Token);
            await ResumeAsync(ws);
            await ws.Completion;
            await connection.CancelAsync();
            await heartbeat;
            lock (gate)
            {
                foreach (var tracker in trackers.Values)
                {
                    tracker.Syncing = false;
                }
            }

            socket = null;
            await ws.DisposeAsync();
            if (!stop.IsCancellationRequested)
            {
                await BackOffAsync(attempt++);
            }
        }
    }

    private async Task BackOffAsync(int attempt)
    {
        var baseMs = BackoffMs[Math.Min(attempt, BackoffMs.Length - 1)];
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds((baseMs / 2.0) + (Random.Shared.NextDouble() * baseMs / 2.0)), stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>After every (re)connect: ask for what was missed, then resend what is unacknowledged.</summary>
    private async Task ResumeAsync(LoadSocket ws)
    {
        List<Guid> conversations;
        lock (gate)
        {
            conversations = [.. trackers.Keys];
        }

        foreach (var conversationId in conversations)
        {
            await SyncAsync(ws, conversationId);
        }

        if (Connects > 1)
        {
            foreach (var frame in outbox.Values)
            {
                Resends++;
                await SendFrameAsync(ws, frame);
            }
        }
    }

    private async Task SyncAsync(LoadSocket ws, Guid conversationId)
    {
        long afterSeq;
        lock (gate)
        {
            var tracker = trackers[conversationId];
            if (tracker.Syncing)
            {
                return;
            }

            tracker.Syncing = true;
            afterSeq = tracker.Contiguous;
        }

        if (!await SendFrameAsync(ws, JsonSerializer.SerializeToUtf8Bytes(new { type = "sync", conversationId, afterSeq })))
        {
            lock (gate)
            {
                trackers[conversationId].Syncing = false;
            }
        }
    }

    private async Task<bool> SendFrameAsync(LoadSocket ws, byte[] frame)
    {
        // One sender at a time on a WebSocket: the pacer, resends, syncs and pings share it.
        await sendLock.WaitAsync();
        try
        {
            if (!ws.IsOpen)
            {
                return false;
            }

            await ws.SendAsync(frame);
            return true;
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The receive loop sees the broken socket too and reconnects; the outbox still holds the message.
            return false;
        }
        finally
        {
            sendLock.Release();
        }
    }

    private void Handle(LoadSocket ws, ReadOnlyMemory<byte> utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        var frame = document.RootElement;
        switch (frame.GetProperty("type").GetString())
        {
            case "ack":
            {
                var clientMessageId = frame.GetProperty("clientMessageId").GetString()!;
                var conversationId = frame.GetProperty("conversationId").GetGuid();
                var messageId = frame.GetProperty("messageId").GetGuid();
                var seq = frame.GetProperty("seq").GetInt64();
                outbox.TryRemove(clientMessageId, out _);
                ledger.Find(clientMessageId)?.Ack(messageId, seq);
                Observe(ws, conversationId, seq, messageId);
                break;
            }

            case "message":
            {
                var message = frame.GetProperty("message");
                Observe(ws, message.GetProperty("conversationId").GetGuid(), message.GetProperty("seq").GetInt64(), message.GetProperty("messageId").GetGuid());
                break;
            }

            case "synced":
            {
                var conversationId = frame.GetProperty("conversationId").GetGuid();
                var more = frame.GetProperty("hasMore").GetBoolean();
                lock (gate)
                {
                    if (trackers.TryGetValue(conversationId, out var tracker))
                    {
                        tracker.Syncing = false;
                    }
                }

                if (more)
                {
                    _ = SyncAsync(ws, conversationId);
                }

                break;
            }

            case "error":
            {
                var code = frame.GetProperty("code").GetString() ?? "";
                Errors.AddOrUpdate(code, 1, (_, n) => n + 1);
                if (frame.TryGetProperty("clientMessageId", out var id) && id.GetString() is { } clientMessageId && outbox.ContainsKey(clientMessageId))
                {
                    if (code is "unavailable" or "rate_limited")
                    {
                        _ = RetryAsync(clientMessageId);
                    }
                    else
                    {
                        outbox.TryRemove(clientMessageId, out _);
                        ledger.Find(clientMessageId)?.Refuse(code);
                    }
                }

                break;
            }

            default:
                break;
        }
    }

    private async Task RetryAsync(string clientMessageId)
    {
        try
        {
            await Task.Delay(RetryAfter, stop.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (outbox.TryGetValue(clientMessageId, out var frame) && socket is { } ws)
        {
            Resends++;
            await SendFrameAsync(ws, frame);
        }
    }

    private void Observe(LoadSocket ws, Guid conversationId, long seq, Guid messageId)
    {
        var askForGap = false;
        lock (gate)
        {
            if (!received.TryGetValue(conversationId, out var seqs))
            {
                return;
            }

            if (seqs.TryGetValue(seq, out var earlier))
            {
                if (earlier != messageId)
                {
                    ConflictingReceipts++;
                }
            }
            else
            {
                seqs[seq] = messageId;
            }

            var tracker = trackers[conversationId];
            if (seq <= tracker.Contiguous)
            {
                return;
            }

            if (seq == tracker.Contiguous + 1)
            {
                tracker.Contiguous = seq;
                while (tracker.Ahead.Remove(tracker.Contiguous + 1))
                {
                    tracker.Contiguous++;
                }

                tracker.Ahead.RemoveWhere(s => s <= tracker.Contiguous);
                return;
            }

            tracker.Ahead.Add(seq);
            if (!tracker.GapTimer)
            {
                tracker.GapTimer = true;
                askForGap = true;
            }
        }

        if (askForGap)
        {
            _ = FillGapAsync(ws, conversationId);
        }
    }

    /// <summary>A hole in the seqs gets a moment to fill itself (frames from two instances may cross); then a sync.</summary>
    private async Task FillGapAsync(LoadSocket ws, Guid conversationId)
    {
        try
        {
            await Task.Delay(GapGrace, stop.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        bool stillMissing;
        lock (gate)
        {
            var tracker = trackers[conversationId];
            tracker.GapTimer = false;
            stillMissing = tracker.Ahead.Count > 0;
        }

        if (stillMissing && ws.IsOpen)
        {
            GapSyncs++;
            await SyncAsync(ws, conversationId);
        }
    }

    private async Task HeartbeatAsync(LoadSocket ws, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(PingEvery, cancellationToken);
                var pingedAt = Environment.TickCount64;
                await SendFrameAsync(ws, """{"type":"ping"}"""u8.ToArray());
                await Task.Delay(PongWithin, cancellationToken);
                if (Volatile.Read(ref lastFrameAt) < pingedAt)
                {
                    // No answer at all: the connection is dead without the socket noticing. Start over.
                    ws.Abort();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Refreshes the tokens when they are older than <see cref="TokenRefreshAfter"/>: before a reconnect, and before reading history after a long run.</summary>
    public Task RefreshTokensIfOldAsync() =>
        Environment.TickCount64 - tokensAt > TokenRefreshAfter.TotalMilliseconds ? TryRefreshAsync() : Task.CompletedTask;

    private async Task TryRefreshAsync()
    {
        try
        {
            using var http = MessengerClient.Http(auth);
            using var response = await http.PostAsJsonAsync("/token/refresh", new { refreshToken = User.RefreshToken }, stop.Token);
            if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<Tokens>(stop.Token) is { } tokens)
            {
                User = tokens;
                tokensAt = Environment.TickCount64;
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
        {
            // Auth is unreachable for now; the next attempt tries again.
        }
    }

    /// <summary>Stops reconnecting and closes the socket; what is still in the outbox stays unacked.</summary>
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (socket is { } ws)
        {
            ws.Abort();
        }

        if (running is not null)
        {
            await running;
        }

        stop.Dispose();
        sendLock.Dispose();
    }

    private sealed class Tracker
    {
        public long Contiguous { get; set; }

        public HashSet<long> Ahead { get; } = [];

        public bool GapTimer { get; set; }

        public bool Syncing { get; set; }
    }
}
