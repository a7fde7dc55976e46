using System.Net;
using System.Net.Http.Json;
using Friendship.Tests.Infrastructure;
using Messenger.Contracts;
using Messenger.Contracts.Friendships;
using Messenger.Testing;

namespace Friendship.Tests;

/// <summary>
/// Friendship on the event log: what it publishes for Notification (through the outbox, in order per
/// pair), the blocks it takes from User, and the friendships User takes from it. Runs on Redis
/// Streams and on Kafka.
/// </summary>
public abstract class EventFlowTests(FriendshipSystem system)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_friendships_life_is_published_in_order_under_the_pair_key()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);
        using var accept = await bob.Friends.PostAsJsonAsync("/friends/accept", new { requestId = request.RequestId }, Cancellation);
        using var remove = await bob.Friends.DeleteAsync($"/friends/remove?userId={alice.Id}", Cancellation);

        await system.Published.WaitForAsync<FriendRemoved>(e => e.UserId == bob.Id, "the removal");

        var pair = FriendshipKeys.Pair(alice.Id, bob.Id);
        var sent = Assert.Single(system.Published.All<FriendRequestSent>(), e => e.Event.RequestId == request.RequestId);
        var accepted = Assert.Single(system.Published.All<FriendRequestAccepted>(), e => e.Event.RequestId == request.RequestId);
        var removed = Assert.Single(system.Published.All<FriendRemoved>(), e => e.Event.UserId == bob.Id);
        Assert.All(new[] { sent.Key, accepted.Key, removed.Key }, key => Assert.Equal(pair, key));
        Assert.Equal(Topics.Friendships, sent.Topic);
        Assert.True(sent.OccurredAt <= accepted.OccurredAt && accepted.OccurredAt <= removed.OccurredAt);
        Assert.Equal((alice.Username, bob.Username), (accepted.Event.FromUsername, accepted.Event.ToUsername));
        Assert.Equal(alice.Id, removed.Event.FriendId);
    }

    [Fact]
    public async Task A_block_made_in_User_reaches_Friendship_and_ends_the_friendship()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, bob);

        using var block = await alice.Users.PostAsync($"/user/{bob.Username}/block", null, Cancellation);

        var removed = await system.Published.WaitForAsync<FriendRemoved>(e => e.UserId == alice.Id && e.FriendId == bob.Id, "the block to end the friendship");
        Assert.Empty((await bob.FriendsOfAsync(bob)).Items);
        using var asked = await bob.RequestAsync(new { username = alice.Username });
        Assert.Equal(HttpStatusCode.Forbidden, asked.StatusCode);
        Assert.NotEqual(default, removed.RemovedAt);
    }

    [Fact]
    public async Task Friendships_reach_User_where_friends_of_friends_find_a_private_profile()
    {
        var word = "zz" + Guid.NewGuid().ToString("N")[..8].Replace('0', 'q');
        var alice = await system.NewPersonAsync(displayName: "Alice " + word);
        var carol = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await alice.SetPrivacyAsync(new { searchableBy = "friendsOfFriends" });
        Assert.False(await FindsAsync(bob, word));

        await system.MakeFriendsAsync(alice, carol);
        await system.MakeFriendsAsync(carol, bob);

        await Eventually.UntilAsync(() => FindsAsync(bob, word), "bob finding alice through carol");
        using var unfriend = await carol.Friends.DeleteAsync($"/friends/remove?userId={bob.Id}", Cancellation);
        await Eventually.UntilAsync(async () => !await FindsAsync(bob, word), "bob losing sight of alice");
    }

    private static async Task<bool> FindsAsync(Person searcher, string word)
    {
        var page = await searcher.Users.GetFromJsonAsync<PageBody<FriendBody>>("/user/search?q=" + word, Cancellation);
        return page!.Items.Count > 0;
    }
}

public sealed class EventFlowTestsOnRedisStreams(FriendshipSystem system) : EventFlowTests(system), IClassFixture<FriendshipSystem>;

public sealed class EventFlowTestsOnKafka(KafkaFriendshipSystem system) : EventFlowTests(system), IClassFixture<KafkaFriendshipSystem>;
