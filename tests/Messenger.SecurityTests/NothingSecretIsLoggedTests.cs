using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Messenger.SecurityTests.Authorization;
using Messenger.SecurityTests.Infrastructure;
using Messenger.Testing;
using Messenger.Testing.Services;
using Microsoft.Extensions.Logging;

namespace Messenger.SecurityTests;

/// <summary>
/// A user's whole day with every secret registered with the log capture: password, every access and
/// refresh token it was given, its push keys and its message texts. Tokens travel in the query string
/// of the chat socket and the notification stream, where request logging would most easily pick them up.
/// </summary>
public sealed class NothingSecretIsLoggedTests(SecuritySystem system)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Passwords_tokens_push_keys_and_message_texts_appear_in_no_service_log()
    {
        var marker = "never-logged-" + Guid.NewGuid().ToString("N")[..8];
        var password = marker + " password";
        system.Logs.Watch(password, $"{marker}: the password");
        var entriesBefore = system.Logs.Entries;

        using var auth = system.Auth.CreateClient();
        var registered = await auth.RegisterAsync(AuthClient.NewUsername("quiet"), password);
        Watch(registered, marker, "registration");
        await system.UntilKnownAsync(registered);
        var loggedIn = await auth.LoginAsync(registered.Username, password);
        Watch(loggedIn, marker, "login");
        using var refreshed = await auth.PostAsJsonAsync("/token/refresh", new { refreshToken = loggedIn.RefreshToken }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var me = (await refreshed.Content.ReadFromJsonAsync<Tokens>(Cancellation))!;
        Watch(me, marker, "refresh");

        var friend = await system.NewUserAsync("listener");
        var conversation = await system.DirectConversationAsync(me, friend);

        var subscription = JsonSerializer.SerializeToElement(Scene.PushSubscription());
        var keys = subscription.GetProperty("keys");
        system.Logs.Watch(keys.GetProperty("p256dh").GetString()!, $"{marker}: push key p256dh");
        system.Logs.Watch(keys.GetProperty("auth").GetString()!, $"{marker}: push auth secret");
        using (var subscribed = await system.Notifications.CreateClient(me.AccessToken).PostAsJsonAsync("/notifications/push-subscriptions", subscription, Cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        }

        using var streamClient = system.Notifications.CreateClient();
        using var streamRequest = new HttpRequestMessage(HttpMethod.Get, "/notifications/stream?access_token=" + Uri.EscapeDataString(me.AccessToken));
        streamRequest.Headers.Accept.ParseAdd("text/event-stream");
        using var stream = await streamClient.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead, Cancellation);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);

        using var socket = new ClientWebSocket();
        var socketUri = new UriBuilder(system.Chat.BaseAddress) { Scheme = "ws", Path = "/chat", Query = "access_token=" + Uri.EscapeDataString(me.AccessToken) };
        await socket.ConnectAsync(socketUri.Uri, Cancellation);
        foreach (var n in new[] { 1, 2 })
        {
            var text = $"{marker} message {n}: meet me at the old mill";
            system.Logs.Watch(text, $"{marker}: message text {n}");
            var ack = await SendOverSocketAsync(socket, conversation, text);
            Assert.Equal("ack", ack.GetProperty("type").GetString());
        }

        // A message to the user, so Notification handles it end to end: stored, streamed, pushed.
        var reply = $"{marker} reply: bring the map";
        system.Logs.Watch(reply, $"{marker}: reply text");
        await system.SendAsync(friend, conversation, reply);
        await Eventually.UntilAsync(async () =>
        {
            var list = await system.Notifications.CreateClient(me.AccessToken).GetFromJsonAsync<JsonElement>("/notifications", Cancellation);
            return list.GetProperty("items").GetArrayLength() > 0;
        }, "the user's notification of the reply");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Cancellation);

        Assert.True(system.Logs.Entries > entriesBefore, "The services logged nothing at all: the capture is not listening.");
        var leaks = system.Logs.Leaks
            .Where(l => l.Entry.Level >= LogLevel.Information && (l.Secret.StartsWith(marker, StringComparison.Ordinal) || l.Secret.EndsWith(me.Username, StringComparison.Ordinal)))
            .ToList();
        Assert.True(leaks.Count == 0, "Secrets in the logs:" + Environment.NewLine + string.Join(Environment.NewLine, leaks.Take(10).Select(l => $"{l.Secret} in {l.Entry}")));
    }

    private void Watch(Tokens tokens, string marker, string how)
    {
        system.Logs.Watch(tokens.AccessToken, $"{marker}: access token from {how}");
        system.Logs.Watch(tokens.RefreshToken, $"{marker}: refresh token from {how}");
    }

    /// <summary>Sends a text message and returns the frame answering it (its ack, or an error).</summary>
    private static async Task<JsonElement> SendOverSocketAsync(ClientWebSocket socket, Guid conversationId, string text)
    {
        var clientMessageId = Guid.NewGuid().ToString();
        var frame = JsonSerializer.SerializeToUtf8Bytes(new { type = "send", clientMessageId, conversationId, content = new { kind = "text", text } });
        await socket.SendAsync(frame, WebSocketMessageType.Text, true, Cancellation);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, Cancellation);
                Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            var answer = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            if (answer.TryGetProperty("clientMessageId", out var id) && id.GetString() == clientMessageId
                && answer.GetProperty("type").GetString() is "ack" or "error")
            {
                return answer;
            }
        }
    }
}
