using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Chat.Tests.Infrastructure;
using Messenger.Testing.Services;

namespace Chat.Tests;

/// <summary>What a client gets wrong: an error frame (the socket stays open), 1009 for huge frames, 1008 for a revoked session.</summary>
public sealed class BadInputTests(ChatSystem system) : IClassFixture<ChatSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> BadFrames => new()
    {
        { "{\"type\":\"send\",", "bad_frame" },
        { "not json at all", "bad_frame" },
        { "[1,2,3]", "bad_frame" },
        { "null", "bad_frame" },
        { "{}", "bad_frame" },
        { "{\"type\":\"shout\"}", "unknown_type" },
        { "{\"type\":42}", "bad_frame" },
        { "{\"type\":\"send\",\"conversationId\":\"not-a-guid\"}", "bad_frame" },
        { "{\"type\":\"sync\",\"conversationId\":\"00000000-0000-0000-0000-000000000001\",\"afterSeq\":\"ten\"}", "bad_frame" },
        { "{\"type\":\"sync\",\"conversationId\":\"00000000-0000-0000-0000-000000000001\",\"afterSeq\":-1}", "invalid" },
        { "{\"type\":\"read\",\"conversationId\":\"00000000-0000-0000-0000-000000000001\"}", "invalid" },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task A_bad_frame_gets_an_error_frame_and_the_socket_stays_open(string frame, string code)
    {
        var alice = await system.NewUserAsync("alice");
        await using var socket = await system.ConnectAsync(alice);

        await socket.SendRawAsync(frame);

        Assert.Equal(code, (await socket.WaitForAsync("error")).GetProperty("code").GetString());
        await socket.SendAsync(new { type = "ping" });
        await socket.WaitForAsync("pong");
    }

    public static TheoryData<string, object> BadSends => new()
    {
        { "no clientMessageId", new { type = "send", conversationId = Guid.NewGuid(), content = new { kind = "text", text = "x" } } },
        { "long clientMessageId", new { type = "send", clientMessageId = new string('c', 101), conversationId = Guid.NewGuid(), content = new { kind = "text", text = "x" } } },
        { "no conversation", new { type = "send", clientMessageId = "m", content = new { kind = "text", text = "x" } } },
        { "no content", new { type = "send", clientMessageId = "m", conversationId = Guid.NewGuid() } },
        { "empty text", new { type = "send", clientMessageId = "m", conversationId = Guid.NewGuid(), content = new { kind = "text", text = "  " } } },
        { "text over 4000", new { type = "send", clientMessageId = "m", conversationId = Guid.NewGuid(), content = new { kind = "text", text = new string('a', 4001) } } },
        { "unknown kind", new { type = "send", clientMessageId = "m", conversationId = Guid.NewGuid(), content = new { kind = "video", url = "https://x/y" } } },
        { "image without url", new { type = "send", clientMessageId = "m", conversationId = Guid.NewGuid(), content = new { kind = "image", name = "a.png", size = 1, mimeType = "image/png" } } },
        { "image with a javascript url", new { type = "send", clientMessageId = "m", conversationId = Guid.NewGuid(), content = new { kind = "image", url = "javascript:alert(1)", name = "a.png", size = 1, mimeType = "image/png" } } },
        { "image that is not an image", new { type = "send", clientMessageId = "m", conversationId = Guid.NewGuid(), content = new { kind = "image", url = "https://x/a.exe", name = "a.exe", size = 1, mimeType = "application/octet-stream" } } },
        { "file with negative size", new { type = "send", clientMessageId = "m", conversationId = Guid.NewGuid(), content = new { kind = "file", url = "https://x/a.pdf", name = "a.pdf", size = -1, mimeType = "application/pdf" } } },
    };

    [Theory]
    [MemberData(nameof(BadSends))]
    public async Task An_invalid_send_gets_an_invalid_error_naming_its_clientMessageId(string why, object frame)
    {
        var alice = await system.NewUserAsync("alice");
        await using var socket = await system.ConnectAsync(alice);

        await socket.SendAsync(frame);

        var error = await socket.WaitForAsync("error");
        Assert.True(error.GetProperty("code").GetString() == "invalid", why);
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_text_of_exactly_4000_characters_is_accepted()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(alice);

        var ack = await socket.SendTextAsync(conversation, new string('a', 4000));

        Assert.Equal(1, ack.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Sending_to_a_conversation_one_is_not_in_gets_not_found()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var mallory = await system.NewUserAsync("mallory");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(mallory);

        await socket.SendAsync(new { type = "send", clientMessageId = "intrude", conversationId = conversation, content = new { kind = "text", text = "hi" } });
        await socket.SendAsync(new { type = "sync", conversationId = conversation, afterSeq = 0 });
        await socket.SendAsync(new { type = "send", clientMessageId = "nowhere", conversationId = Guid.NewGuid(), content = new { kind = "text", text = "hi" } });

        Assert.Equal("not_found", (await socket.WaitForAsync("error", e => e.TryGetProperty("clientMessageId", out var id) && id.GetString() == "intrude")).GetProperty("code").GetString());
        Assert.Equal("not_found", (await socket.WaitForAsync("error", e => !e.TryGetProperty("clientMessageId", out _))).GetProperty("code").GetString());
        Assert.Equal("not_found", (await socket.WaitForAsync("error", e => e.TryGetProperty("clientMessageId", out var id) && id.GetString() == "nowhere")).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_binary_frame_gets_an_error_frame()
    {
        var alice = await system.NewUserAsync("alice");
        await using var socket = await system.ConnectAsync(alice);

        await socket.SendBytesAsync([1, 2, 3], WebSocketMessageType.Binary);

        Assert.Equal("bad_frame", (await socket.WaitForAsync("error")).GetProperty("code").GetString());
        await socket.SendAsync(new { type = "ping" });
        await socket.WaitForAsync("pong");
    }

    [Fact]
    public async Task A_frame_over_64_KB_closes_the_socket_with_1009()
    {
        var alice = await system.NewUserAsync("alice");
        await using var socket = await system.ConnectAsync(alice);
        var huge = "{\"type\":\"send\",\"content\":{\"kind\":\"text\",\"text\":\"" + new string('a', 70 * 1024) + "\"}}";

        await socket.SendRawAsync(huge);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await socket.Closed.WaitAsync(ChatSocket.Timeout, Cancellation));
    }

    [Fact]
    public async Task A_frame_of_just_under_64_KB_is_read_and_answered()
    {
        var alice = await system.NewUserAsync("alice");
        await using var socket = await system.ConnectAsync(alice);
        var padding = new string(' ', (64 * 1024) - 20);

        await socket.SendRawAsync("{\"type\":\"ping\"}" + padding);

        await socket.WaitForAsync("pong");
    }

    [Fact]
    public async Task Sending_faster_than_the_rate_limit_gets_rate_limited_errors_and_the_socket_stays_open()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(alice);

        for (var i = 0; i < 100; i++)
        {
            await socket.SendAsync(new { type = "send", clientMessageId = "flood-" + i, conversationId = conversation, content = new { kind = "text", text = "spam" } });
        }

        var acked = 0;
        var limited = 0;
        for (var i = 0; i < 100; i++)
        {
            var id = "flood-" + i;
            var answer = await socket.WaitForAsync("ack", f => f.GetProperty("clientMessageId").GetString() == id, orType: "error");
            if (answer.GetProperty("type").GetString() == "ack")
            {
                acked++;
            }
            else
            {
                Assert.Equal("rate_limited", answer.GetProperty("code").GetString());
                limited++;
            }
        }

        Assert.InRange(acked, 60, 99);
        Assert.Equal(100 - acked, limited);
        await socket.SendAsync(new { type = "ping" });
        await socket.WaitForAsync("pong");
        var stored = await system.Client(alice).GetFromJsonAsync<JsonElement>($"/chat/{conversation}?limit=100", Cancellation);
        Assert.Equal(acked, stored.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Sync_frames_draw_from_the_rate_limit_too()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(alice);

        for (var i = 0; i < 100; i++)
        {
            await socket.SendAsync(new { type = "sync", conversationId = conversation, afterSeq = 0, requestId = "sync-" + i });
        }

        var answered = 0;
        var limited = 0;
        for (var i = 0; i < 100; i++)
        {
            var answer = await socket.WaitForAsync("synced", orType: "error");
            if (answer.GetProperty("type").GetString() == "synced")
            {
                answered++;
            }
            else
            {
                Assert.Equal("rate_limited", answer.GetProperty("code").GetString());
                limited++;
            }
        }

        Assert.InRange(answered, 60, 99);
        Assert.Equal(100 - answered, limited);
        await socket.SendAsync(new { type = "ping" });
        await socket.WaitForAsync("pong");
    }

    [Fact]
    public async Task A_socket_without_a_valid_token_is_refused_with_401()
    {
        var alice = await system.NewUserAsync("alice");

        var noToken = await Assert.ThrowsAsync<WebSocketException>(() => ChatSocket.ConnectAsync(system.Chat, null));
        var badToken = await Assert.ThrowsAsync<WebSocketException>(() => ChatSocket.ConnectAsync(system.Chat, alice.AccessToken + "x"));

        Assert.Contains("401", noToken.Message, StringComparison.Ordinal);
        Assert.Contains("401", badToken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_may_come_in_the_authorization_header()
    {
        var alice = await system.NewUserAsync("alice");

        await using var socket = await ChatSocket.ConnectAsync(system.Chat, alice.AccessToken, tokenInHeader: true);

        await socket.SendAsync(new { type = "ping" });
        await socket.WaitForAsync("pong");
    }

    [Fact]
    public async Task Logging_out_closes_that_sessions_sockets_with_1008_and_leaves_other_sessions_open()
    {
        var alice = await system.NewUserAsync("alice");
        var otherDevice = await system.Auth.CreateClient().LoginAsync(alice.Username);
        await using var socket = await system.ConnectAsync(alice);
        await using var other = await ChatSocket.ConnectAsync(system.Chat, otherDevice.AccessToken);

        using var logout = await system.Auth.CreateClient(alice.AccessToken).PostAsync("/logout", null, Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.Closed.WaitAsync(ChatSocket.Timeout, Cancellation));
        await other.SendAsync(new { type = "ping" });
        await other.WaitForAsync("pong");
        await Assert.ThrowsAsync<WebSocketException>(() => ChatSocket.ConnectAsync(system.Chat, alice.AccessToken));
    }

    [Fact]
    public async Task Http_bodies_that_are_too_large_or_malformed_get_4xx()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);

        using var huge = await system.Client(alice).PostAsync($"/chat/{conversation}/messages",
            new StringContent("{\"clientMessageId\":\"x\",\"content\":{\"kind\":\"text\",\"text\":\"" + new string('a', 2 * 1024 * 1024) + "\"}}", Encoding.UTF8, "application/json"), Cancellation);
        using var broken = await system.Client(alice).PostAsync($"/chat/{conversation}/messages", new StringContent("{", Encoding.UTF8, "application/json"), Cancellation);
        using var tooLong = await system.Client(alice).PostAsJsonAsync($"/chat/{conversation}/messages",
            new { clientMessageId = "x", content = new { kind = "text", text = new string('a', 4001) } }, Cancellation);

        await huge.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await broken.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty((await tooLong.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("content"));
    }
}
