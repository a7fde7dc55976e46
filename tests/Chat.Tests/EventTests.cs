using System.Net.Http.Json;
using Chat.Tests.Infrastructure;
using Messenger.Contracts;
using Messenger.Contracts.Chat;

namespace Chat.Tests;

/// <summary>The chat events on the event log, on each transport: what Notification builds on.</summary>
public abstract class EventTests<TSystem>(TSystem system) where TSystem : ChatSystem
{
    protected TSystem System => system;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stored_message_is_published_as_MessageSent_with_its_members_keyed_by_conversation()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(alice);
        await using var log = EventLog.Read(system.Chat, Topics.ChatMessages);

        var ack = await socket.SendTextAsync(conversation, "hello events");

        var (key, eventId, sent) = await log.WaitForAsync<MessageSent>(e => e.ConversationId == conversation);
        Assert.Equal(conversation.ToString(), key);
        Assert.Equal(ack.GetProperty("messageId").GetGuid(), sent.MessageId);
        Assert.Equal(sent.MessageId, eventId);
        Assert.Equal(1, sent.Seq);
        Assert.Equal(alice.UserId, sent.SenderId);
        Assert.Equal(alice.Username, sent.SenderUsername);
        Assert.Equal("direct", sent.ConversationType);
        Assert.Equal("text", sent.ContentKind);
        Assert.Equal("hello events", sent.Preview);
        Assert.Equal([alice.UserId, bob.UserId], sent.MemberIds.Order());
        Assert.Equal(ack.GetProperty("sentAt").GetDateTimeOffset(), sent.SentAt);
    }

    [Fact]
    public async Task Edits_deletes_and_reads_are_published_too()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        await using var bobSocket = await system.ConnectAsync(bob);
        await using var log = EventLog.Read(system.Chat, Topics.ChatMessages);
        var first = (await aliceSocket.SendTextAsync(conversation, "first")).GetProperty("messageId").GetGuid();
        var second = (await aliceSocket.SendTextAsync(conversation, "second")).GetProperty("messageId").GetGuid();

        using (await system.Client(alice).PatchAsJsonAsync($"/chat/{conversation}/messages/{first}", new { content = new { kind = "text", text = "first!" } }, Cancellation))
        {
        }

        using (await system.Client(alice).DeleteAsync($"/chat/{conversation}/messages/{second}", Cancellation))
        {
        }

        await bobSocket.SendAsync(new { type = "read", conversationId = conversation, seq = 2 });

        var edited = (await log.WaitForAsync<MessageEdited>(e => e.ConversationId == conversation)).Event;
        Assert.Equal((first, 1L, "first!"), (edited.MessageId, edited.Seq, edited.Preview));
        var deleted = (await log.WaitForAsync<MessageDeleted>(e => e.ConversationId == conversation)).Event;
        Assert.Equal((second, 2L, alice.UserId), (deleted.MessageId, deleted.Seq, deleted.SenderId));
        var read = await log.WaitForAsync<MessagesRead>(e => e.ConversationId == conversation && e.UserId == bob.UserId);
        Assert.Equal(2, read.Event.Seq);
        Assert.Equal(conversation.ToString(), read.Key);
    }
}

public sealed class RedisStreamsEventTests(ChatSystem system) : EventTests<ChatSystem>(system), IClassFixture<ChatSystem>;

public sealed class KafkaEventTests(KafkaChatSystem system) : EventTests<KafkaChatSystem>(system), IClassFixture<KafkaChatSystem>
{
    [Fact]
    public async Task Messages_sent_while_the_broker_is_down_are_acked_and_their_events_published_once_it_is_back()
    {
        var alice = await System.NewUserAsync("alice");
        var bob = await System.NewUserAsync("bob");
        var conversation = await System.DirectAsync(alice, bob);
        await using var socket = await System.ConnectAsync(alice);
        await using var log = EventLog.Read(System.Chat, Topics.ChatMessages);

        System.Broker.SetBrokerDown(1);
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                Assert.Equal(i, (await socket.SendTextAsync(conversation, "while down " + i)).GetProperty("seq").GetInt64());
            }
        }
        finally
        {
            System.Broker.SetBrokerUp(1);
        }

        foreach (var seq in new[] { 1L, 2, 3 })
        {
            await log.WaitForAsync<MessageSent>(e => e.ConversationId == conversation && e.Seq == seq);
        }
    }
}
