using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Messenger.Testing.Services;

namespace Chat.Tests.Infrastructure;

/// <summary>
/// A chat client over a real WebSocket: sends frames, and waits (with a generous timeout) for a
/// received frame that matches. Frames not yet waited for are kept, so the order of waits does not matter.
/// </summary>
public sealed class ChatSocket : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly ClientWebSocket socket;
    private readonly List<JsonElement> unclaimed = [];
    private readonly SemaphoreSlim arrived = new(0);
    private readonly Lock sync = new();
    private readonly Task receiving;
    private readonly TaskCompletionSource<WebSocketCloseStatus?> closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChatSocket(ClientWebSocket socket)
    {
        this.socket = socket;
        receiving = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Every frame received so far, in order.</summary>
    public List<JsonElement> Received { get; } = [];

    /// <summary>Completes with the close status when the server closes the socket (null when it was cut).</summary>
    public Task<WebSocketCloseStatus?> Closed => closed.Task;

    public WebSocketState State => socket.State;

    public static async Task<ChatSocket> ConnectAsync(ServiceApp<Chat.Api.IApiMarker> chat, string? accessToken, bool tokenInHeader = false)
    {
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(chat.BaseAddress) { Scheme = "ws", Path = "/chat" };
        if (accessToken is not null && !tokenInHeader)
        {
            uri.Query = "access_token=" + Uri.EscapeDataString(accessToken);
        }
        else if (accessToken is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + accessToken);
        }

        await socket.ConnectAsync(uri.Uri, TestContext.Current.CancellationToken);
        return new ChatSocket(socket);
    }

    public Task SendAsync(object frame) => SendRawAsync(JsonSerializer.Serialize(frame, JsonSerializerOptions.Web));

    public Task SendRawAsync(string text) => SendBytesAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendBytesAsync(byte[] bytes, WebSocketMessageType type) =>
        await socket.SendAsync(bytes, type, endOfMessage: true, TestContext.Current.CancellationToken);

    /// <summary>Sends a text message and returns its ack.</summary>
    public async Task<JsonElement> SendTextAsync(Guid conversationId, string text, string? clientMessageId = null)
    {
        clientMessageId ??= Guid.NewGuid().ToString();
        await SendAsync(new { type = "send", clientMessageId, conversationId, content = new { kind = "text", text } });
        return await WaitForAsync("ack", f => f.GetProperty("clientMessageId").GetString() == clientMessageId);
    }

    /// <summary>Waits for (and claims) the first frame of <paramref name="type"/> that matches.</summary>
    /// <param name="orType">Another frame type that also ends the wait when it matches (e.g. an error instead of an ack).</param>
    public async Task<JsonElement> WaitForAsync(string type, Func<JsonElement, bool>? match = null, string? orType = null)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            lock (sync)
            {
                var index = unclaimed.FindIndex(f => (f.GetProperty("type").GetString() == type || f.GetProperty("type").GetString() == orType) && (match is null || match(f)));
                if (index >= 0)
                {
                    var frame = unclaimed[index];
                    unclaimed.RemoveAt(index);
                    return frame;
                }
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || closed.Task.IsCompleted && !await arrived.WaitAsync(0))
            {
                var seen = string.Join("\n", Received.TakeLast(10).Select(f => f.ToString()));
                Assert.Fail($"No '{type}' frame arrived (socket {socket.State}). Last frames:\n{seen}");
            }

            await arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The message frames received so far for a conversation (claimed or not).</summary>
    public IReadOnlyList<JsonElement> MessagesIn(Guid conversationId)
    {
        lock (sync)
        {
            return [.. Received.Where(f => f.GetProperty("type").GetString() == "message"
                && f.GetProperty("message").GetProperty("conversationId").GetGuid() == conversationId)
                .Select(f => f.GetProperty("message"))];
        }
    }

    /// <summary>Proves nothing of <paramref name="type"/> is pending: a ping's pong arrives after anything sent before it.</summary>
    public async Task<bool> HasUnclaimedAsync(string type)
    {
        await SendAsync(new { type = "ping" });
        await WaitForAsync("pong");
        lock (sync)
        {
            return unclaimed.Any(f => f.GetProperty("type").GetString() == type);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[256 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, count, buffer.Length - count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    closed.TrySetResult(socket.CloseStatus);
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    }

                    return;
                }

                var frame = JsonDocument.Parse(buffer.AsMemory(0, count)).RootElement.Clone();
                lock (sync)
                {
                    Received.Add(frame);
                    unclaimed.Add(frame);
                }

                arrived.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            closed.TrySetResult(null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
                await closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
            {
            }
        }

        socket.Abort();
        await receiving;
        socket.Dispose();
        arrived.Dispose();
    }
}
