using System.Net;
using System.Net.Http.Json;
using Messenger.Contracts;
using Messenger.Contracts.Auth;
using Messenger.Contracts.Friendships;
using Messenger.Contracts.Users;
using Messenger.EventBus.Transport;
using Messenger.Testing;
using Messenger.Testing.Events;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;
using User.Tests.Infrastructure;

namespace User.Tests;

/// <summary>
/// What User does through the event log: profiles from Auth's registrations (replay included), the
/// friend graph from Friendship's events, and what it publishes. Runs on Redis Streams and on Kafka.
/// </summary>
public abstract class EventDrivenProfileTests(UserSystem system)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_registration_becomes_a_visible_profile()
    {
        var viewer = await system.NewUserAsync();
        var tokens = await system.Auth.CreateClient().RegisterAsync(AuthClient.NewUsername("fresh"), displayName: "Fresh Face");

        await Eventually.UntilAsync(async () =>
        {
            using var response = await viewer.GetProfileAsync(tokens.Username);
            return response.StatusCode == HttpStatusCode.OK;
        }, "the new profile");

        var profile = await viewer.ReadProfileAsync(tokens.Username);
        Assert.Equal((tokens.UserId, "Fresh Face"), (profile.UserId, profile.DisplayName));
    }

    [Fact]
    public async Task Replaying_the_registrations_topic_changes_no_profile()
    {
        var alice = await system.NewUserAsync("replay", displayName: "Alice");
        var bob = await system.NewUserAsync("replay", displayName: "Bob");
        await PutAsync(alice, new { displayName = "Alice Edited", bio = "kept" });
        var before = new[] { await alice.ReadProfileAsync(), await bob.ReadProfileAsync() };

        var replayed = await TopicReplay.ReplayAsync(system.Users.Services, Topics.AuthUsers, atLeast: 2, Cancellation);
        await WaitUntilHandledAfterAsync(alice);

        Assert.True(replayed >= 2);
        ProfileBody[] after = [await alice.ReadProfileAsync(), await bob.ReadProfileAsync()];
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_second_registration_event_for_an_existing_user_does_not_overwrite_the_profile()
    {
        var alice = await system.NewUserAsync(displayName: "Alice");
        await PutAsync(alice, new { displayName = "Alice Edited" });

        // A new event id, so only the natural key (the user id) can tell it was applied before.
        await system.PublishAsync(new UserRegistered(alice.Id, alice.Username, "Impostor", null, DateTimeOffset.UtcNow));
        await WaitUntilHandledAfterAsync(alice);

        Assert.Equal("Alice Edited", (await alice.ReadProfileAsync()).DisplayName);
    }

    [Fact]
    public async Task Profile_changes_are_published_as_UserProfileUpdated()
    {
        var alice = await system.NewUserAsync();

        await PutAsync(alice, new { displayName = "Published Alice", avatarUrl = "https://example.org/p.png" });

        var updated = await system.Published.WaitForAsync<UserProfileUpdated>(e => e.UserId == alice.Id, "alice's update");
        Assert.Equal(("Published Alice", "https://example.org/p.png"), (updated.DisplayName, updated.AvatarUrl));
    }

    [Fact]
    public async Task Blocks_are_published_for_Friendship_and_Chat()
    {
        var alice = await system.NewUserAsync();
        var bob = await system.NewUserAsync();

        using var block = await alice.Client.PostAsync($"/user/{bob.Username}/block", null, Cancellation);
        using var unblock = await alice.Client.DeleteAsync($"/user/{bob.Username}/block", Cancellation);

        Assert.Equal(bob.Id, (await system.Published.WaitForAsync<UserBlocked>(e => e.BlockerId == alice.Id, "the block")).BlockedId);
        Assert.Equal(bob.Id, (await system.Published.WaitForAsync<UserUnblocked>(e => e.BlockerId == alice.Id, "the unblock")).BlockedId);
    }

    [Fact]
    public async Task Friendships_from_the_event_log_decide_who_finds_a_friends_of_friends_profile()
    {
        var word = "fof" + Guid.NewGuid().ToString("N")[..6].Replace('0', 'x');
        var alice = await system.NewUserAsync(displayName: "Alice " + word);
        var carol = await system.NewUserAsync();
        var bob = await system.NewUserAsync();
        var dave = await system.NewUserAsync();
        await PutAsync(alice, new { privacy = new { searchableBy = "friendsOfFriends" } });

        await system.PublishAsync(new FriendRequestAccepted(Guid.NewGuid(), alice.Id, alice.Username, carol.Id, carol.Username, DateTimeOffset.UtcNow));
        await system.PublishAsync(new FriendRequestAccepted(Guid.NewGuid(), carol.Id, carol.Username, bob.Id, bob.Username, DateTimeOffset.UtcNow));

        await Eventually.UntilAsync(async () => await FindsAsync(bob, word), "bob, a friend of alice's friend, finding alice");
        Assert.True(await FindsAsync(carol, word));
        Assert.False(await FindsAsync(dave, word));

        await system.PublishAsync(new FriendRemoved(bob.Id, carol.Id, DateTimeOffset.UtcNow));
        await Eventually.UntilAsync(async () => !await FindsAsync(bob, word), "bob no longer finding alice once he left carol");
        Assert.True(await FindsAsync(carol, word));
    }

    [Fact]
    public async Task A_friendship_accepted_before_a_removal_that_arrived_first_stays_removed()
    {
        var word = "late" + Guid.NewGuid().ToString("N")[..6].Replace('0', 'x');
        var alice = await system.NewUserAsync(displayName: "Alice " + word);
        var carol = await system.NewUserAsync();
        await PutAsync(alice, new { privacy = new { searchableBy = "friends" } });
        var acceptedAt = DateTimeOffset.UtcNow;

        // Carol accepted and then removed alice; the removal reached User first.
        await system.WaitUntilHandledAsync(await system.PublishAsync(new FriendRemoved(carol.Id, alice.Id, acceptedAt.AddSeconds(1))));
        await system.WaitUntilHandledAsync(await system.PublishAsync(
            new FriendRequestAccepted(Guid.NewGuid(), alice.Id, alice.Username, carol.Id, carol.Username, acceptedAt)));

        Assert.False(await FindsAsync(carol, word));
    }

    /// <summary>
    /// Publishes a registration of a new user under <paramref name="user"/>'s partition key and waits for
    /// its profile: events of one key are handled in order, so everything on that key before it is done.
    /// </summary>
    private async Task WaitUntilHandledAfterAsync(TestUser user)
    {
        var marker = new UserRegistered(Guid.CreateVersion7(), AuthClient.NewUsername("marker"), null, null, DateTimeOffset.UtcNow);
        var envelope = EventEnvelope.Create(marker, DateTimeOffset.UtcNow);
        var message = new TransportMessage(Topics.AuthUsers, user.Id.ToString(), envelope.Id, envelope.Type, envelope.ToUtf8Bytes());
        await system.Users.Services.GetRequiredService<IEventPublisherTransport>().PublishAsync([message], Cancellation);
        await Eventually.UntilAsync(async () =>
        {
            using var response = await user.GetProfileAsync(marker.Username);
            return response.StatusCode == HttpStatusCode.OK;
        }, "the marker registration behind the replayed events");
    }

    private static async Task<bool> FindsAsync(TestUser searcher, string word)
    {
        var page = await searcher.Client.GetFromJsonAsync<PageBody<ProfileBody>>("/user/search?q=" + word, Cancellation);
        return page!.Items.Count > 0;
    }

    private static async Task PutAsync(TestUser user, object body)
    {
        using var response = await user.Client.PutAsJsonAsync("/user/" + user.Username, body, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

public sealed class EventDrivenProfileTestsOnRedisStreams(UserSystem system) : EventDrivenProfileTests(system), IClassFixture<UserSystem>;

public sealed class EventDrivenProfileTestsOnKafka(KafkaUserSystem system) : EventDrivenProfileTests(system), IClassFixture<KafkaUserSystem>;
