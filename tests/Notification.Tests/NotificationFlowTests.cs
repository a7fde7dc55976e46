using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Contracts.Chat;
using Messenger.Contracts.Friendships;
using Messenger.EventBus.Outbox;
using Messenger.Testing;
using Notification.Tests.Infrastructure;

namespace Notification.Tests;

/// <summary>From events on the log to notifications, on each transport: who is told, how bursts group, and that redelivery changes nothing.</summary>
public abstract class NotificationFlowTests<TSystem>(TSystem system) where TSystem : NotificationSystem
{
    protected TSystem System => system;

    [Fact]
    public async Task A_friend_request_notifies_the_addressee_live_and_in_the_list()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        await using var stream = await system.StreamAsync(bob);
        var requestId = Guid.NewGuid();

        await system.PublishAsync(new FriendRequestSent(requestId, alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));

        var live = await stream.WaitForAsync(n => n.GetProperty("kind").GetString() == "friend_request", "bob's friend request");
        Assert.True(live.Seq > 0);
        var data = live.Json.GetProperty("data");
        Assert.Equal(requestId, data.GetProperty("requestId").GetGuid());
        Assert.Equal(alice.UserId, data.GetProperty("fromUserId").GetGuid());
        Assert.Equal(alice.Username, data.GetProperty("fromUsername").GetString());
        Assert.Equal(JsonValueKind.Null, live.Json.GetProperty("readAt").ValueKind);
        var listed = Assert.Single(await system.ListAsync(bob));
        Assert.Equal(live.Json.GetProperty("id").GetGuid(), listed.GetProperty("id").GetGuid());
        Assert.Empty(await system.ListAsync(alice));
    }

    [Fact]
    public async Task A_burst_of_messages_is_one_notification_updated_in_place_and_the_sender_gets_none()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = Guid.NewGuid();
        await using var stream = await system.StreamAsync(bob);

        for (var seq = 1; seq <= 3; seq++)
        {
            await system.PublishAsync(NotificationSystem.Message(conversation, seq, alice, $"hello {seq}", bob));
        }

        var grouped = await system.WaitForNotificationAsync(bob, n => n.GetProperty("data").GetProperty("count").GetInt32() == 3, "three messages grouped");
        var data = grouped.GetProperty("data");
        Assert.Equal("messages", grouped.GetProperty("kind").GetString());
        Assert.Equal(conversation, data.GetProperty("conversationId").GetGuid());
        Assert.Equal("direct", data.GetProperty("conversationType").GetString());
        Assert.Equal([alice.Username], data.GetProperty("senders").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("hello 3", data.GetProperty("lastPreview").GetString());
        Assert.Equal((1, 3), (data.GetProperty("firstSeq").GetInt64(), data.GetProperty("lastSeq").GetInt64()));
        Assert.Equal($"3 new messages from {alice.Username}", grouped.GetProperty("text").GetString());
        Assert.Single(await system.ListAsync(bob));
        Assert.Empty(await system.ListAsync(alice));

        // The updates went out live as the same notification, with increasing ids and counts (events
        // applied in one transaction go out once, in their final state).
        var id = grouped.GetProperty("id").GetGuid();
        await stream.WaitForAsync(n => n.GetProperty("data").GetProperty("count").GetInt32() == 3, "the third update");
        var updates = stream.Events.Where(e => e.Json.GetProperty("id").GetGuid() == id).ToList();
        var counts = updates.Select(e => e.Json.GetProperty("data").GetProperty("count").GetInt32()).ToList();
        Assert.Equal(3, counts[^1]);
        Assert.Equal(counts.Distinct().Order(), counts);
        Assert.Equal(updates.Select(e => e.Seq).Distinct().Order(), updates.Select(e => e.Seq));
    }

    [Fact]
    public async Task A_burst_over_several_conversations_counts_each_message_once_per_recipient_and_skips_muted_ones()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        var dave = await system.NewUserAsync("dave");
        var group = Guid.NewGuid();
        var aliceAndBob = Guid.NewGuid();
        var daveAndCarol = Guid.NewGuid();
        using (var response = await system.Client(carol).PutAsJsonAsync("/notifications/settings", new { mutedConversationIds = new[] { group } }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var rows = new List<OutboxRow>();
        for (var seq = 1; seq <= 10; seq++)
        {
            rows.Add(OutboxWriter.CreateRow(NotificationSystem.Message(group, seq, alice, $"group {seq}", bob, carol)));
            if (seq <= 5)
            {
                rows.Add(OutboxWriter.CreateRow(NotificationSystem.Message(aliceAndBob, seq, alice, $"to bob {seq}", bob)));
                rows.Add(OutboxWriter.CreateRow(NotificationSystem.Message(daveAndCarol, seq, dave, $"to carol {seq}", carol)));
            }
        }

        rows.Insert(7, rows[2]);
        await system.PublishTogetherAsync(rows);

        await system.WaitForNotificationAsync(bob, n => Count(n) == 10, "the group's ten messages");
        await system.WaitForNotificationAsync(bob, n => Count(n) == 5, "alice's five direct messages");
        await system.WaitForNotificationAsync(carol, n => Count(n) == 5, "dave's five direct messages");
        var bobs = (await system.ListAsync(bob)).ToDictionary(n => n.GetProperty("data").GetProperty("conversationId").GetGuid());
        Assert.Equal(2, bobs.Count);
        Assert.Equal((10, "group 10"), (Count(bobs[group]), bobs[group].GetProperty("data").GetProperty("lastPreview").GetString()));
        Assert.Equal((5, "to bob 5"), (Count(bobs[aliceAndBob]), bobs[aliceAndBob].GetProperty("data").GetProperty("lastPreview").GetString()));
        var carols = await system.ListAsync(carol);
        Assert.Equal(daveAndCarol, Assert.Single(carols).GetProperty("data").GetProperty("conversationId").GetGuid());
        Assert.Empty(await system.ListAsync(alice));
        Assert.Empty(await system.ListAsync(dave));

        static int Count(JsonElement notification) => notification.GetProperty("data").GetProperty("count").GetInt32();
    }

    [Fact]
    public async Task A_group_conversation_lists_its_senders_most_recent_first()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        var conversation = Guid.NewGuid();

        await system.PublishAsync(NotificationSystem.Message(conversation, 1, alice, "one", bob, carol));
        await system.PublishAsync(NotificationSystem.Message(conversation, 2, bob, "two", alice, carol));
        await system.PublishAsync(NotificationSystem.Message(conversation, 3, alice, "three", bob, carol));

        var forCarol = await system.WaitForNotificationAsync(carol, n => n.GetProperty("data").GetProperty("count").GetInt32() == 3, "carol's group");
        Assert.Equal([alice.Username, bob.Username], forCarol.GetProperty("data").GetProperty("senders").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("the group", forCarol.GetProperty("data").GetProperty("title").GetString());
        // Bob is told about alice's two messages, never about his own.
        var forBob = await system.WaitForNotificationAsync(bob, n => n.GetProperty("data").GetProperty("count").GetInt32() == 2, "bob's group");
        Assert.Equal([alice.Username], forBob.GetProperty("data").GetProperty("senders").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task A_user_viewing_the_conversation_is_not_notified_while_others_are()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        var conversation = Guid.NewGuid();
        await system.ViewAsync(bob, conversation);

        await system.PublishAsync(NotificationSystem.Message(conversation, 1, alice, "look", bob, carol));

        await system.WaitForNotificationAsync(carol, n => n.GetProperty("kind").GetString() == "messages", "carol's notification");
        Assert.Empty(await system.ListAsync(bob));
    }

    [Fact]
    public async Task Redelivered_events_create_no_second_notification_and_count_once()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var dave = await system.NewUserAsync("dave");
        var conversation = Guid.NewGuid();

        await system.PublishRepeatedlyAsync(NotificationSystem.Message(conversation, 1, alice, "once", bob), times: 3);
        await system.PublishRepeatedlyAsync(new FriendRequestSent(Guid.NewGuid(), alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow), times: 2);
        // Later events under the same keys are handled after the repeats.
        await system.PublishAsync(NotificationSystem.Message(conversation, 2, alice, "marker", dave));
        await system.PublishAsync(new FriendRequestSent(Guid.NewGuid(), alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));

        await system.WaitForNotificationAsync(dave, n => n.GetProperty("kind").GetString() == "messages", "the marker message");
        var bobs = await Eventually.GetAsync(() => system.ListAsync(bob), l => l.Count(n => n.GetProperty("kind").GetString() == "friend_request") == 2, "both distinct requests");
        var messages = Assert.Single(bobs, n => n.GetProperty("kind").GetString() == "messages");
        Assert.Equal(1, messages.GetProperty("data").GetProperty("count").GetInt32());
        Assert.Equal(3, bobs.Count);
    }

    [Fact]
    public async Task Muted_conversations_produce_nothing()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var muted = Guid.NewGuid();
        var other = Guid.NewGuid();
        using (var response = await system.Client(bob).PutAsJsonAsync("/notifications/settings", new { mutedConversationIds = new[] { muted } }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await system.PublishAsync(NotificationSystem.Message(muted, 1, alice, "muted", bob));
        await system.PublishAsync(NotificationSystem.Message(other, 1, alice, "heard", bob));

        var heard = await system.WaitForNotificationAsync(bob, n => n.GetProperty("kind").GetString() == "messages", "the unmuted conversation");
        Assert.Equal(other, heard.GetProperty("data").GetProperty("conversationId").GetGuid());
        Assert.Single(await system.ListAsync(bob));
    }

    [Fact]
    public async Task Deleting_grouped_messages_decrements_the_group_and_withdraws_it_at_zero()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = Guid.NewGuid();
        await using var stream = await system.StreamAsync(bob);
        var first = NotificationSystem.Message(conversation, 1, alice, "first", bob);
        var second = NotificationSystem.Message(conversation, 2, alice, "second", bob);
        await system.PublishAsync(first);
        await system.PublishAsync(second);
        var group = await system.WaitForNotificationAsync(bob, n => n.GetProperty("data").GetProperty("count").GetInt32() == 2, "two messages");
        var id = group.GetProperty("id").GetGuid();

        await system.PublishAsync(new MessageDeleted(conversation, second.MessageId, 2, alice.UserId, DateTimeOffset.UtcNow));
        var left = await system.WaitForNotificationAsync(bob, n => n.GetProperty("data").GetProperty("count").GetInt32() == 1, "one message left");
        Assert.Equal("first", left.GetProperty("data").GetProperty("lastPreview").GetString());
        Assert.Equal(1, left.GetProperty("data").GetProperty("lastSeq").GetInt64());

        await system.PublishAsync(new MessageDeleted(conversation, first.MessageId, 1, alice.UserId, DateTimeOffset.UtcNow));
        var withdrawn = await stream.WaitForAsync(n => n.GetProperty("id").GetGuid() == id && n.TryGetProperty("withdrawnAt", out _), "the withdrawal");
        Assert.Equal(JsonValueKind.String, withdrawn.Json.GetProperty("withdrawnAt").ValueKind);
        await Eventually.UntilAsync(async () => (await system.ListAsync(bob)).Count == 0, "the withdrawn notification to leave the list");
    }

    [Fact]
    public async Task Reading_the_conversation_marks_its_notification_read_and_a_new_message_starts_a_new_one()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = Guid.NewGuid();
        await system.PublishAsync(NotificationSystem.Message(conversation, 1, alice, "one", bob));
        await system.PublishAsync(NotificationSystem.Message(conversation, 2, alice, "two", bob));
        await system.WaitForNotificationAsync(bob, n => n.GetProperty("data").GetProperty("count").GetInt32() == 2, "two messages");

        await system.PublishAsync(new MessagesRead(conversation, bob.UserId, 1, DateTimeOffset.UtcNow));
        var partly = await system.WaitForNotificationAsync(bob, n => n.GetProperty("data").GetProperty("count").GetInt32() == 1, "the unread rest");
        Assert.Equal(2, partly.GetProperty("data").GetProperty("firstSeq").GetInt64());

        await system.PublishAsync(new MessagesRead(conversation, bob.UserId, 2, DateTimeOffset.UtcNow));
        await system.WaitForNotificationAsync(bob, n => n.GetProperty("readAt").ValueKind == JsonValueKind.String, "the read group");

        await system.PublishAsync(NotificationSystem.Message(conversation, 3, alice, "three", bob));
        var items = await Eventually.GetAsync(() => system.ListAsync(bob), l => l.Count == 2, "a fresh group after the read one");
        Assert.Equal(JsonValueKind.Null, items[0].GetProperty("readAt").ValueKind);
        Assert.Equal(3, items[0].GetProperty("data").GetProperty("firstSeq").GetInt64());
    }

    [Fact]
    public async Task An_accepted_request_notifies_the_sender_and_a_withdrawn_one_is_taken_back()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        var accepted = Guid.NewGuid();
        var withdrawn = Guid.NewGuid();
        await system.PublishAsync(new FriendRequestSent(accepted, alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
        await system.PublishAsync(new FriendRequestSent(withdrawn, carol.UserId, carol.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
        await Eventually.GetAsync(() => system.ListAsync(bob), l => l.Count == 2, "bob's two requests");

        await system.PublishAsync(new FriendRequestAccepted(accepted, alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
        await system.PublishAsync(new FriendRequestCancelled(withdrawn, carol.UserId, bob.UserId, FriendRequestCancelled.Withdrawn, DateTimeOffset.UtcNow));

        var told = await system.WaitForNotificationAsync(alice, n => n.GetProperty("kind").GetString() == "friend_accepted", "alice's acceptance");
        Assert.Equal(bob.Username, told.GetProperty("data").GetProperty("friendUsername").GetString());
        Assert.Equal(bob.UserId, told.GetProperty("data").GetProperty("friendId").GetGuid());
        var bobs = await Eventually.GetAsync(() => system.ListAsync(bob), l => l.Count == 1 && l[0].GetProperty("readAt").ValueKind == JsonValueKind.String,
            "the answered request read and the withdrawn one gone");
        Assert.Equal(accepted, bobs[0].GetProperty("data").GetProperty("requestId").GetGuid());
    }

    [Fact]
    public async Task Two_instances_share_the_events_and_every_device_hears_every_change_whichever_instance_it_is_on()
    {
        var second = await system.StartNotificationAsync();
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        await using var onFirst = await system.StreamAsync(bob);
        await using var onSecond = await system.StreamAsync(bob, second);

        var requestIds = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToList();
        foreach (var requestId in requestIds)
        {
            var from = await system.NewUserAsync("friend");
            await system.PublishAsync(new FriendRequestSent(requestId, from.UserId, from.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
        }

        foreach (var device in new[] { onFirst, onSecond })
        {
            foreach (var requestId in requestIds)
            {
                await device.WaitForAsync(n => n.GetProperty("data").GetProperty("requestId").GetGuid() == requestId, $"request {requestId}");
            }
        }

        // A change made through the first instance reaches the device on the second.
        var id = onFirst.Events[0].Json.GetProperty("id").GetGuid();
        using (var response = await system.Client(bob).PostAsync($"/notifications/{id}/read", null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await onSecond.WaitForAsync(n => n.GetProperty("id").GetGuid() == id && n.GetProperty("readAt").ValueKind == JsonValueKind.String, "the read on the other instance");
    }
}

public sealed class RedisStreamsNotificationFlowTests(NotificationSystem system)
    : NotificationFlowTests<NotificationSystem>(system), IClassFixture<NotificationSystem>;

public sealed class KafkaNotificationFlowTests(KafkaNotificationSystem system)
    : NotificationFlowTests<KafkaNotificationSystem>(system), IClassFixture<KafkaNotificationSystem>;
