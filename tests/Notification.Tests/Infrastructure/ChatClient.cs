using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Messenger.Testing.Services;

namespace Notification.Tests.Infrastructure;

/// <summary>A chat client on Chat's WebSocket (DESIGN §4): sends frames and waits for the ones it expects.</summary>
public sealed class ChatClient : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private readonly List<JsonElement> received = [];
    private readonly Lock sync = new();
    private Task receiving = Task.CompletedTask;

    public static async Task<ChatClient> ConnectAsync(ServiceApp<Chat.Api.IApiMarker> chat, Tokens user)
    {
        var client = new ChatClient();
        var uri = new UriBuilder(chat.BaseAddress) { Scheme = "ws", Path = "/chat", Query = "access_token=" + Uri.EscapeDataString(user.AccessToken) };
        await client.socket.ConnectAsync(uri.Uri, TestContext.Current.CancellationToken);
        client.receiving = Task.Run(client.ReceiveAsync);
        return client;
    }

    public async Task SendAsync(object frame) =>
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame, JsonSerializerOptions.Web), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);

    /// <summary>Sends a text message and waits until Chat acknowledges it as stored.</summary>
    public async Task<JsonElement> SendTextAsync(Guid conversationId, string text)
    {
        var clientMessageId = Guid.NewGuid().ToString();
        await SendAsync(new { type = "send", clientMessageId, conversationId, content = new { kind = "text", text } });
        return await WaitForAsync("ack", f => f.GetProperty("clientMessageId").GetString() == clientMessageId);
    }

    /// <summary>Tells Chat the conversation is open and focused, and waits until it has recorded that (frames are handled in order).</summary>
    public async Task FocusAsync(Guid conversationId)
    {
        await SendAsync(new { type = "focus", conversationId });
        await SendAsync(new { type = "ping" });
        await WaitForAsync("pong");
    }

    public async Task<JsonElement> WaitForAsync(string type, Func<JsonElement, bool>? match = null)
    {
        var deadline = DateTime.UtcNow + SseClient.Timeout;
        while (true)
        {
            lock (sync)
            {
                var index = received.FindIndex(f => f.GetProperty("type").GetString() == type && (match is null || match(f)));
                if (index >= 0)
                {
                    var frame = received[index];
                    received.RemoveAt(index);
                    return frame;
                }

                if (received.FirstOrDefault(f => f.GetProperty("type").GetString() == "error") is { ValueKind: JsonValueKind.Object } error)
                {
                    Assert.Fail($"Chat answered with an error while waiting for '{type}': {error}");
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"No '{type}' frame arrived (socket {socket.State}).");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var count = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, count, buffer.Length - count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var frame = JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, count)).RootElement.Clone();
                lock (sync)
                {
                    received.Add(frame);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
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
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        socket.Abort();
        await receiving;
        socket.Dispose();
    }
}
