using System.Net;
using System.Net.Http.Json;
using Messenger.Contracts;
using Messenger.Testing;
using Messenger.Testing.Events;
using Notification.Tests.Infrastructure;

namespace Notification.Tests;

/// <summary>
/// The whole path with every service running: people use Friendship's routes and Chat's socket, and the
/// Notification service tells the right people, live or by Web Push, once each. On each transport.
/// </summary>
public abstract class EndToEndTests<TSystem>(TSystem system) where TSystem : MessengerSystem
{
    protected TSystem System => system;

    protected static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_friend_request_appears_on_the_addressees_stream()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        await using var stream = await system.StreamAsync(bob);

        using (var request = await system.Friendship.CreateClient(alice.AccessToken).PostAsJsonAsync("/friends/request", new { username = bob.Username }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, request.StatusCode);
        }

        var live = await stream.WaitForAsync(n => n.GetProperty("kind").GetString() == "friend_request", "bob's friend request");
        Assert.Equal(alice.Username, live.Json.GetProperty("data").GetProperty("fromUsername").GetString());
        Assert.Equal(alice.UserId, live.Json.GetProperty("data").GetProperty("fromUserId").GetGuid());
    }

    [Fact]
    public async Task Messages_to_an_offline_user_are_grouped_and_pushed_encrypted_to_their_browser()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var browser = await system.SubscribeAsync(bob);
        var conversation = await system.DirectConversationAsync(alice, bob);
        await using var chat = await system.ConnectChatAsync(alice);

        await chat.SendTextAsync(conversation, "hi bob");
        await chat.SendTextAsync(conversation, "are you there?");

        var grouped = await Eventually.GetAsync(() => system.NotificationsOfAsync(bob),
            l => l.Count == 1 && l[0].GetProperty("data").GetProperty("count").GetInt32() == 2, "bob's grouped notification");
        var data = grouped[0].GetProperty("data");
        Assert.Equal(conversation, data.GetProperty("conversationId").GetGuid());
        Assert.Equal("are you there?", data.GetProperty("lastPreview").GetString());
        Assert.Equal([alice.Username], data.GetProperty("senders").EnumerateArray().Select(s => s.GetString()));
        var push = await system.Push.WaitForAsync(browser, "a push to bob's browser");
        Assert.Equal(grouped[0].GetProperty("id").GetGuid(), push.Notification.GetProperty("id").GetGuid());
        Assert.Equal(conversation, push.Notification.GetProperty("data").GetProperty("conversationId").GetGuid());
        Assert.Empty(await system.NotificationsOfAsync(alice));
    }

    [Fact]
    public async Task A_user_looking_at_the_conversation_gets_nothing_while_another_member_is_told()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        var group = await system.GroupAsync(alice, "weekend", bob, carol);
        await using var bobsChat = await system.ConnectChatAsync(bob);
        await bobsChat.FocusAsync(group);
        await using var alicesChat = await system.ConnectChatAsync(alice);

        await alicesChat.SendTextAsync(group, "who is in?");

        var carols = await Eventually.GetAsync(() => system.NotificationsOfAsync(carol), l => l.Count == 1, "carol's notification");
        Assert.Equal("weekend", carols[0].GetProperty("data").GetProperty("title").GetString());
        Assert.Empty(await system.NotificationsOfAsync(bob));
    }

    [Fact]
    public async Task Redelivering_every_event_again_creates_no_duplicates()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        using (var request = await system.Friendship.CreateClient(alice.AccessToken).PostAsJsonAsync("/friends/request", new { username = bob.Username }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, request.StatusCode);
        }

        var conversation = await system.DirectConversationAsync(alice, bob);
        await using var chat = await system.ConnectChatAsync(alice);
        await chat.SendTextAsync(conversation, "one");
        await chat.SendTextAsync(conversation, "two");
        await Eventually.GetAsync(() => system.NotificationsOfAsync(bob),
            l => l.Count == 2 && l.Any(n => n.GetProperty("kind").GetString() == "messages" && n.GetProperty("data").GetProperty("count").GetInt32() == 2),
            "the request and the two messages");

        await TopicReplay.ReplayAsync(system.Notifications.Services, Topics.Friendships, atLeast: 1, Cancellation);
        await TopicReplay.ReplayAsync(system.Notifications.Services, Topics.ChatMessages, atLeast: 2, Cancellation);
        // A new message on the same conversation (so the same partition) is handled after the replayed ones.
        await chat.SendTextAsync(conversation, "three");

        var after = await Eventually.GetAsync(() => system.NotificationsOfAsync(bob),
            l => l.Any(n => n.GetProperty("kind").GetString() == "messages" && n.GetProperty("data").GetProperty("lastPreview").GetString() == "three"),
            "the message after the replay");
        Assert.Equal(2, after.Count);
        Assert.Equal(3, after.Single(n => n.GetProperty("kind").GetString() == "messages").GetProperty("data").GetProperty("count").GetInt32());
        Assert.Single(after, n => n.GetProperty("kind").GetString() == "friend_request");
    }
}

/// <summary>An outage of the event log in the middle of a conversation.</summary>
internal static class OutageScenario
{
    /// <summary>Messages sent while the event log is down are all notified once it is back.</summary>
    public static async Task AssertNothingIsLostAcrossAnOutageAsync(MessengerSystem system, Func<Task> stopBroker, Func<Task> startBroker)
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectConversationAsync(alice, bob);
        await using var chat = await system.ConnectChatAsync(alice);
        await chat.SendTextAsync(conversation, "before");
        await Eventually.GetAsync(() => system.NotificationsOfAsync(bob), l => l.Count == 1, "the first notification");

        await stopBroker();
        for (var i = 1; i <= 3; i++)
        {
            // Chat acknowledges only what it stored; its outbox keeps the events until the log is back.
            await chat.SendTextAsync(conversation, $"during {i}");
        }

        await startBroker();

        var after = await Eventually.GetAsync(() => system.NotificationsOfAsync(bob),
            l => l.Count == 1 && l[0].GetProperty("data").GetProperty("count").GetInt32() == 4, "all four messages counted", TimeSpan.FromSeconds(60));
        Assert.Equal("during 3", after[0].GetProperty("data").GetProperty("lastPreview").GetString());
    }
}

public sealed class RedisStreamsEndToEndTests(MessengerSystem system) : EndToEndTests<MessengerSystem>(system), IClassFixture<MessengerSystem>;

public sealed class KafkaEndToEndTests(KafkaMessengerSystem system) : EndToEndTests<KafkaMessengerSystem>(system), IClassFixture<KafkaMessengerSystem>
{
    [Fact]
    public Task Messages_sent_while_the_Kafka_broker_is_down_are_all_notified_after_it_is_back()
    {
        var broker = System.EventLog.Broker!;
        return OutageScenario.AssertNothingIsLostAcrossAnOutageAsync(
            System,
            () =>
            {
                broker.SetBrokerDown(1);
                return Task.CompletedTask;
            },
            () =>
            {
                broker.SetBrokerUp(1);
                return Task.CompletedTask;
            });
    }
}

/// <summary>The Redis Streams event log's outage: the Redis server itself stops and starts again.</summary>
public sealed class RedisOutageEndToEndTests(PrivateRedisMessengerSystem system) : IClassFixture<PrivateRedisMessengerSystem>
{
    [Fact]
    public Task Messages_sent_while_Redis_is_down_are_all_notified_after_it_is_back() =>
        OutageScenario.AssertNothingIsLostAcrossAnOutageAsync(
            system,
            () => system.Redis.StopAsync(TestContext.Current.CancellationToken),
            () => system.Redis.RestartAsync(TestContext.Current.CancellationToken));
}
