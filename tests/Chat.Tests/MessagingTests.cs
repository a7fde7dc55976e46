using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Chat.Tests.Infrastructure;

namespace Chat.Tests;

/// <summary>Two people chatting over real sockets: send, ack, delivery, devices, idempotency, resume.</summary>
public sealed class MessagingTests(ChatSystem system) : IClassFixture<ChatSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sent_message_is_acked_after_storage_and_delivered_to_the_other_participant()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        await using var bobSocket = await system.ConnectAsync(bob);

        var ack = await aliceSocket.SendTextAsync(conversation, "hello bob", "c-1");

        Assert.Equal(conversation, ack.GetProperty("conversationId").GetGuid());
        Assert.Equal(1, ack.GetProperty("seq").GetInt64());
        var delivered = (await bobSocket.WaitForAsync("message")).GetProperty("message");
        Assert.Equal(ack.GetProperty("messageId").GetGuid(), delivered.GetProperty("messageId").GetGuid());
        Assert.Equal(alice.UserId, delivered.GetProperty("senderId").GetGuid());
        Assert.Equal("c-1", delivered.GetProperty("clientMessageId").GetString());
        Assert.Equal("text", delivered.GetProperty("content").GetProperty("kind").GetString());
        Assert.Equal("hello bob", delivered.GetProperty("content").GetProperty("text").GetString());
        Assert.Equal(ack.GetProperty("sentAt").GetDateTimeOffset(), delivered.GetProperty("sentAt").GetDateTimeOffset());
        // The sending socket has the ack; it does not get its own message again.
        Assert.False(await aliceSocket.HasUnclaimedAsync("message"));

        var history = await system.Client(bob).GetFromJsonAsync<JsonElement>($"/chat/{conversation}", Cancellation);
        var stored = Assert.Single(history.GetProperty("items").EnumerateArray());
        Assert.Equal("hello bob", stored.GetProperty("content").GetProperty("text").GetString());
    }

    [Fact]
    public async Task The_senders_other_device_receives_the_message_too()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var phone = await system.ConnectAsync(alice);
        await using var laptop = await system.ConnectAsync(alice);

        var ack = await phone.SendTextAsync(conversation, "from my phone");

        var copy = (await laptop.WaitForAsync("message")).GetProperty("message");
        Assert.Equal(ack.GetProperty("messageId").GetGuid(), copy.GetProperty("messageId").GetGuid());
        Assert.False(await laptop.HasUnclaimedAsync("ack"));
    }

    [Fact]
    public async Task Resending_a_clientMessageId_returns_the_same_ack_and_stores_one_message()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(alice);
        await using var bobSocket = await system.ConnectAsync(bob);

        var first = await socket.SendTextAsync(conversation, "only once", "same-id");
        var again = await socket.SendTextAsync(conversation, "only once", "same-id");
        // A reconnecting client resends too: the ack is the same, wherever it comes from.
        await using var reconnected = await system.ConnectAsync(alice);
        var third = await reconnected.SendTextAsync(conversation, "only once", "same-id");

        foreach (var ack in new[] { again, third })
        {
            Assert.Equal(first.GetProperty("messageId").GetGuid(), ack.GetProperty("messageId").GetGuid());
            Assert.Equal(first.GetProperty("seq").GetInt64(), ack.GetProperty("seq").GetInt64());
            Assert.Equal(first.GetProperty("sentAt").GetDateTimeOffset(), ack.GetProperty("sentAt").GetDateTimeOffset());
        }

        var history = await system.Client(alice).GetFromJsonAsync<JsonElement>($"/chat/{conversation}", Cancellation);
        Assert.Single(history.GetProperty("items").EnumerateArray());
        await bobSocket.WaitForAsync("message");
        Assert.False(await bobSocket.HasUnclaimedAsync("message"));
    }

    [Fact]
    public async Task Duplicates_inside_one_burst_are_stored_once()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(alice);
        var frame = new { type = "send", clientMessageId = "burst", conversationId = conversation, content = new { kind = "text", text = "x" } };

        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => socket.SendAsync(frame)));
        var acks = new List<JsonElement>();
        for (var i = 0; i < 5; i++)
        {
            acks.Add(await socket.WaitForAsync("ack"));
        }

        Assert.Single(acks.Select(a => a.GetProperty("messageId").GetGuid()).Distinct());
        var history = await system.Client(alice).GetFromJsonAsync<JsonElement>($"/chat/{conversation}", Cancellation);
        Assert.Single(history.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Reconnecting_with_sync_returns_exactly_the_missed_messages_in_order()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        long lastSeen;
        await using (var bobSocket = await system.ConnectAsync(bob))
        {
            await aliceSocket.SendTextAsync(conversation, "one");
            await aliceSocket.SendTextAsync(conversation, "two");
            await bobSocket.WaitForAsync("message", f => f.GetProperty("message").GetProperty("seq").GetInt64() == 2);
            lastSeen = 2;
        }

        for (var i = 3; i <= 7; i++)
        {
            await aliceSocket.SendTextAsync(conversation, "missed " + i);
        }

        await using var back = await system.ConnectAsync(bob);
        await back.SendAsync(new { type = "sync", conversationId = conversation, afterSeq = lastSeen });

        var synced = await back.WaitForAsync("synced");
        Assert.Equal(7, synced.GetProperty("lastSeq").GetInt64());
        Assert.False(synced.GetProperty("hasMore").GetBoolean());
        var missed = back.MessagesIn(conversation);
        Assert.Equal([3L, 4, 5, 6, 7], missed.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Equal(["missed 3", "missed 4", "missed 5", "missed 6", "missed 7"], missed.Select(m => m.GetProperty("content").GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Sync_pages_a_long_gap_with_hasMore()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        await SendManyAsync(aliceSocket, conversation, 12);
        await using var bobSocket = await ChatSocket.ConnectAsync(system.Chat, bob.AccessToken);

        await bobSocket.SendAsync(new { type = "sync", conversationId = conversation, afterSeq = 0 });
        var synced = await bobSocket.WaitForAsync("synced");

        Assert.Equal(12, synced.GetProperty("lastSeq").GetInt64());
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), bobSocket.MessagesIn(conversation).Select(m => m.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task Typing_reaches_the_others_but_not_the_typists_own_devices()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        await using var aliceLaptop = await system.ConnectAsync(alice);
        await using var bobSocket = await system.ConnectAsync(bob);

        await aliceSocket.SendAsync(new { type = "typing", conversationId = conversation });

        var typing = await bobSocket.WaitForAsync("typing");
        Assert.Equal(conversation, typing.GetProperty("conversationId").GetGuid());
        Assert.Equal(alice.UserId, typing.GetProperty("userId").GetGuid());
        Assert.False(await aliceLaptop.HasUnclaimedAsync("typing"));
    }

    [Fact]
    public async Task Read_receipts_reach_the_participants_and_set_unread_counts()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        await using var bobSocket = await system.ConnectAsync(bob);
        await SendManyAsync(aliceSocket, conversation, 3);
        Assert.Equal(3, await UnreadAsync(bob, conversation));
        Assert.Equal(0, await UnreadAsync(alice, conversation));

        await bobSocket.SendAsync(new { type = "read", conversationId = conversation, seq = 2 });

        var receipt = await aliceSocket.WaitForAsync("read");
        Assert.Equal(bob.UserId, receipt.GetProperty("userId").GetGuid());
        Assert.Equal(2, receipt.GetProperty("seq").GetInt64());
        Assert.Equal(1, await UnreadAsync(bob, conversation));

        // Reading beyond the end reads to the end; reading backwards changes nothing.
        await bobSocket.SendAsync(new { type = "read", conversationId = conversation, seq = 99 });
        Assert.Equal(3, (await aliceSocket.WaitForAsync("read")).GetProperty("seq").GetInt64());
        await bobSocket.SendAsync(new { type = "read", conversationId = conversation, seq = 1 });
        Assert.Equal(0, await UnreadAsync(bob, conversation));
    }

    [Fact]
    public async Task Attachments_and_replies_are_stored_and_delivered_as_sent()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        await using var bobSocket = await system.ConnectAsync(bob);
        var original = await aliceSocket.SendTextAsync(conversation, "look at this");

        await bobSocket.SendAsync(new
        {
            type = "send",
            clientMessageId = "photo-1",
            conversationId = conversation,
            replyTo = original.GetProperty("messageId").GetGuid(),
            content = new { kind = "image", url = "https://cdn.example.com/p/1.png", name = "1.png", size = 2048, mimeType = "image/png" },
        });
        await bobSocket.WaitForAsync("ack");

        var photo = (await aliceSocket.WaitForAsync("message")).GetProperty("message");
        Assert.Equal(original.GetProperty("messageId").GetGuid(), photo.GetProperty("replyTo").GetGuid());
        var content = photo.GetProperty("content");
        Assert.Equal("image", content.GetProperty("kind").GetString());
        Assert.Equal("https://cdn.example.com/p/1.png", content.GetProperty("url").GetString());
        Assert.Equal(2048, content.GetProperty("size").GetInt64());
        Assert.Equal("image/png", content.GetProperty("mimeType").GetString());
    }

    [Fact]
    public async Task A_reply_to_a_message_of_another_conversation_is_refused()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        var withBob = await system.DirectAsync(alice, bob);
        var withCarol = await system.DirectAsync(alice, carol);
        await using var socket = await system.ConnectAsync(alice);
        var elsewhere = await socket.SendTextAsync(withCarol, "for carol");

        await socket.SendAsync(new
        {
            type = "send",
            clientMessageId = "bad-reply",
            conversationId = withBob,
            replyTo = elsewhere.GetProperty("messageId").GetGuid(),
            content = new { kind = "text", text = "re" },
        });

        var error = await socket.WaitForAsync("error");
        Assert.Equal("reply_not_found", error.GetProperty("code").GetString());
        Assert.Equal("bad-reply", error.GetProperty("clientMessageId").GetString());
    }

    [Fact]
    public async Task Messages_can_also_be_sent_over_http_with_the_same_idempotency()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var bobSocket = await system.ConnectAsync(bob);
        var body = new { clientMessageId = "http-1", content = new { kind = "text", text = "via http" } };

        using var first = await system.Client(alice).PostAsJsonAsync($"/chat/{conversation}/messages", body, Cancellation);
        using var again = await system.Client(alice).PostAsJsonAsync($"/chat/{conversation}/messages", body, Cancellation);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var stored = await first.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(stored.GetProperty("messageId").GetGuid(), (await again.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("messageId").GetGuid());
        var delivered = (await bobSocket.WaitForAsync("message")).GetProperty("message");
        Assert.Equal(stored.GetProperty("messageId").GetGuid(), delivered.GetProperty("messageId").GetGuid());
    }

    internal static async Task SendManyAsync(ChatSocket socket, Guid conversation, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            await socket.SendTextAsync(conversation, "message " + i);
        }
    }

    private async Task<long> UnreadAsync(Messenger.Testing.Services.Tokens user, Guid conversation)
    {
        var list = await system.Client(user).GetFromJsonAsync<JsonElement>("/chat", Cancellation);
        return list.GetProperty("items").EnumerateArray()
            .Single(i => i.GetProperty("conversationId").GetGuid() == conversation)
            .GetProperty("unreadCount").GetInt64();
    }
}
