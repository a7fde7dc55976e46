using System.Net.Http.Json;
using System.Text.Json;
using Chat.Tests.Infrastructure;

namespace Chat.Tests;

/// <summary>Seqs under concurrent senders, and delivery between Chat instances.</summary>
public sealed class ConcurrencyTests(ChatSystem system) : IClassFixture<ChatSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fifty_concurrent_senders_into_one_conversation_get_seqs_exactly_1_to_N()
    {
        const int senders = 50;
        const int perSender = 20;
        var owner = await system.NewUserAsync("owner");
        var members = await system.NewUsersAsync(senders - 1, "member");
        var everyone = members.Prepend(owner).ToArray();
        var group = await system.GroupAsync(owner, "Stampede", members);
        // Half the senders write through a second instance: both instances number the same conversation.
        var second = await system.StartChatAsync();
        var sockets = await Task.WhenAll(everyone.Select((u, i) => system.ConnectAsync(u, i % 2 == 0 ? system.Chat : second)));
        try
        {
            var acks = await Task.WhenAll(sockets.Select(async (socket, s) =>
            {
                var frames = Enumerable.Range(0, perSender).Select(i =>
                    new { type = "send", clientMessageId = $"s{s}-m{i}", conversationId = group, content = new { kind = "text", text = $"{s}/{i}" } });
                foreach (var frame in frames)
                {
                    await socket.SendAsync(frame);
                }

                var mine = new List<JsonElement>();
                for (var i = 0; i < perSender; i++)
                {
                    var id = $"s{s}-m{i}";
                    mine.Add(await socket.WaitForAsync("ack", a => a.GetProperty("clientMessageId").GetString() == id));
                }

                return mine;
            }));

            var seqs = acks.SelectMany(a => a).Select(a => a.GetProperty("seq").GetInt64()).Order().ToList();
            Assert.Equal(Enumerable.Range(1, senders * perSender).Select(i => (long)i), seqs);
            foreach (var senderAcks in acks)
            {
                // Each sender's messages are numbered in the order it sent them.
                var own = senderAcks.Select(a => a.GetProperty("seq").GetInt64()).ToList();
                Assert.Equal(own.Order(), own);
            }

            var stored = new List<long>();
            string? cursor = null;
            do
            {
                var page = await system.Client(owner).GetFromJsonAsync<JsonElement>($"/chat/{group}?limit=100" + (cursor is null ? "" : "&before=" + cursor), Cancellation);
                stored.AddRange(page.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
                cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
            }
            while (cursor is not null);

            Assert.Equal(Enumerable.Range(1, senders * perSender).Reverse().Select(i => (long)i), stored);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_writer_with_several_lanes_numbers_every_conversation_without_gaps_and_delivers_in_seq_order()
    {
        const int pairs = 8;
        const int perSender = 15;
        var laned = await system.StartChatAsync(new Dictionary<string, string?> { ["Chat:Writer:Lanes"] = "3" });
        var people = await system.NewUsersAsync(pairs * 2, "laned");
        var conversations = await Task.WhenAll(Enumerable.Range(0, pairs).Select(p => system.DirectAsync(people[2 * p], people[(2 * p) + 1])));
        var sockets = await Task.WhenAll(people.Select(p => system.ConnectAsync(p, laned)));
        try
        {
            var acks = await Task.WhenAll(sockets.Select(async (socket, s) =>
            {
                var conversation = conversations[s / 2];
                for (var i = 0; i < perSender; i++)
                {
                    await socket.SendAsync(new { type = "send", clientMessageId = $"l{s}-m{i}", conversationId = conversation, content = new { kind = "text", text = $"{s}/{i}" } });
                }

                var mine = new List<long>();
                for (var i = 0; i < perSender; i++)
                {
                    var id = $"l{s}-m{i}";
                    mine.Add((await socket.WaitForAsync("ack", a => a.GetProperty("clientMessageId").GetString() == id)).GetProperty("seq").GetInt64());
                }

                return mine;
            }));

            for (var p = 0; p < pairs; p++)
            {
                // Both people's messages share one gap-free numbering; each person's keep their sending order.
                Assert.Equal(Enumerable.Range(1, 2 * perSender).Select(i => (long)i), acks[2 * p].Concat(acks[(2 * p) + 1]).Order());
                Assert.Equal(acks[2 * p].Order(), acks[2 * p]);

                // Each peer saw the other's messages arrive in seq order.
                var received = new List<long>();
                for (var i = 0; i < perSender; i++)
                {
                    received.Add((await sockets[(2 * p) + 1].WaitForAsync("message", m => m.GetProperty("message").GetProperty("senderId").GetGuid() == people[2 * p].UserId
                        && !received.Contains(m.GetProperty("message").GetProperty("seq").GetInt64()))).GetProperty("message").GetProperty("seq").GetInt64());
                }

                Assert.Equal(acks[2 * p], received);
            }
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_message_sent_through_one_instance_reaches_a_recipient_on_another()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        var second = await system.StartChatAsync();
        await using var aliceOnFirst = await system.ConnectAsync(alice, system.Chat);
        await using var aliceOnSecond = await system.ConnectAsync(alice, second);
        await using var bobOnSecond = await system.ConnectAsync(bob, second);

        var ack = await aliceOnFirst.SendTextAsync(conversation, "across instances");
        var delivered = (await bobOnSecond.WaitForAsync("message")).GetProperty("message");
        var ownCopy = (await aliceOnSecond.WaitForAsync("message")).GetProperty("message");

        Assert.Equal(ack.GetProperty("messageId").GetGuid(), delivered.GetProperty("messageId").GetGuid());
        Assert.Equal("across instances", delivered.GetProperty("content").GetProperty("text").GetString());
        Assert.Equal(ack.GetProperty("messageId").GetGuid(), ownCopy.GetProperty("messageId").GetGuid());

        // And back: typing and read receipts cross too.
        await bobOnSecond.SendAsync(new { type = "typing", conversationId = conversation });
        await aliceOnFirst.WaitForAsync("typing");
        await bobOnSecond.SendAsync(new { type = "read", conversationId = conversation, seq = 1 });
        Assert.Equal(bob.UserId, (await aliceOnFirst.WaitForAsync("read")).GetProperty("userId").GetGuid());
        var reply = await bobOnSecond.SendTextAsync(conversation, "got it");
        Assert.Equal(2, reply.GetProperty("seq").GetInt64());
        await aliceOnFirst.WaitForAsync("message", m => m.GetProperty("message").GetProperty("seq").GetInt64() == 2);
    }

    [Fact]
    public async Task A_membership_change_on_one_instance_applies_on_the_other_at_once()
    {
        var owner = await system.NewUserAsync("owner");
        var bob = await system.NewUserAsync("bob");
        var group = await system.GroupAsync(owner, "Moving", bob);
        var second = await system.StartChatAsync();
        await using var bobOnSecond = await system.ConnectAsync(bob, second);
        await bobOnSecond.SendTextAsync(group, "I am in");

        using var remove = await system.Client(owner).DeleteAsync($"/chat/{group}/members/{bob.UserId}", Cancellation);
        await bobOnSecond.WaitForAsync("conversation");
        await bobOnSecond.SendAsync(new { type = "send", clientMessageId = "after-removal", conversationId = group, content = new { kind = "text", text = "still here?" } });

        Assert.Equal("not_found", (await bobOnSecond.WaitForAsync("error")).GetProperty("code").GetString());
    }
}
