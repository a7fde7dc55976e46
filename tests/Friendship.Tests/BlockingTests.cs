using System.Net;
using System.Net.Http.Json;
using Friendship.Tests.Infrastructure;
using Messenger.Contracts.Friendships;
using Messenger.Contracts.Users;
using Messenger.EventBus.Consumers;
using Microsoft.Extensions.DependencyInjection;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Friendship.Tests;

/// <summary>Blocks made in the User service, as Friendship enforces them from User's events.</summary>
public sealed class BlockingTests(FriendshipSystem system) : IClassFixture<FriendshipSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_blocked_user_cannot_send_the_blocker_a_request()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();

        await BlockAsync(alice, bob);

        await WaitForStatusAsync(bob, alice, HttpStatusCode.Forbidden);
        using var response = await bob.RequestAsync(new { userId = alice.Id });
        var problem = await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.DoesNotContain("block", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty((await alice.RequestsAsync("incoming")).Items);
    }

    [Fact]
    public async Task The_blocker_is_told_to_unblock_before_asking()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();

        await BlockAsync(alice, bob);

        var problem = await WaitForStatusAsync(alice, bob, HttpStatusCode.Forbidden);
        Assert.Equal("You blocked this user", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Blocking_a_friend_ends_the_friendship_for_both()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, bob);

        await BlockAsync(bob, alice);

        await Eventually.UntilAsync(async () => (await alice.FriendsOfAsync(alice)).Items.Count == 0, "the friendship to end");
        Assert.Empty((await bob.FriendsOfAsync(bob)).Items);
        var removed = await system.Published.WaitForAsync<FriendRemoved>(e => e.UserId == bob.Id, "the removal by the block");
        Assert.Equal(alice.Id, removed.FriendId);
    }

    [Fact]
    public async Task Blocking_rejects_a_request_from_the_blocked_user()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var request = await bob.SendRequestAsync(alice);

        await BlockAsync(alice, bob);

        await system.Published.WaitForAsync<FriendRequestRejected>(e => e.RequestId == request.RequestId, "the rejection by the block");
        Assert.Empty((await alice.RequestsAsync("incoming")).Items);
    }

    [Fact]
    public async Task Blocking_cancels_the_blockers_own_request()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);

        await BlockAsync(alice, bob);

        var cancelled = await system.Published.WaitForAsync<FriendRequestCancelled>(e => e.RequestId == request.RequestId, "the cancellation by the block");
        Assert.Equal(FriendRequestCancelled.Blocked, cancelled.Reason);
        Assert.Empty((await bob.RequestsAsync("incoming")).Items);
    }

    [Fact]
    public async Task After_unblocking_requests_are_accepted_again()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await BlockAsync(alice, bob);
        await WaitForStatusAsync(bob, alice, HttpStatusCode.Forbidden);

        using var unblock = await alice.Users.DeleteAsync($"/user/{bob.Username}/block", Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, unblock.StatusCode);
        await WaitForStatusAsync(bob, alice, HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_blocked_user_does_not_see_the_blockers_friend_list_even_when_it_is_public()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await alice.SetPrivacyAsync(new { friendListVisibleTo = "everyone" });
        await BlockAsync(alice, bob);

        await Eventually.UntilAsync(async () =>
        {
            using var response = await bob.Friends.GetAsync($"/friends/{alice.Id}", Cancellation);
            return response.StatusCode == HttpStatusCode.Forbidden;
        }, "the friend list to close for bob");
        Assert.Empty((await alice.FriendsOfAsync(alice)).Items);
    }

    [Fact]
    public async Task A_block_that_arrives_after_a_later_unblock_changes_nothing()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, bob);
        var blockedAt = DateTimeOffset.UtcNow;

        // Two User instances published these; the consumer got the unblock first.
        await HandleAsync(new UserUnblocked(alice.Id, bob.Id, blockedAt.AddSeconds(1)));
        await HandleAsync(new UserBlocked(alice.Id, bob.Id, blockedAt));

        using var again = await bob.RequestAsync(new { userId = alice.Id });
        await again.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains(bob.Id, (await alice.FriendsOfAsync(alice)).Items.Select(f => f.UserId));
    }

    [Fact]
    public async Task An_unblock_that_arrives_after_a_later_block_changes_nothing()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var unblockedAt = DateTimeOffset.UtcNow;

        await HandleAsync(new UserBlocked(alice.Id, bob.Id, unblockedAt.AddSeconds(1)));
        await HandleAsync(new UserUnblocked(alice.Id, bob.Id, unblockedAt));

        using var response = await bob.RequestAsync(new { userId = alice.Id });
        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    /// <summary>Hands an event of the User service to Friendship's handler, as the consumer host would.</summary>
    private async Task HandleAsync<TEvent>(TEvent @event) where TEvent : Messenger.Contracts.IIntegrationEvent
    {
        using var scope = system.Friendship.Services.CreateScope();
        var handler = scope.ServiceProvider.GetRequiredService<Friendship.Api.Events.UserBlocksHandler>();
        var context = new EventContext<TEvent>(Guid.CreateVersion7(), DateTimeOffset.UtcNow, "users", "", @event, 1, "friendship");
        await (context switch
        {
            EventContext<UserBlocked> blocked => handler.HandleAsync(blocked, Cancellation),
            EventContext<UserUnblocked> unblocked => handler.HandleAsync(unblocked, Cancellation),
            _ => throw new ArgumentException("Not a block event", nameof(@event)),
        });
    }

    private static async Task BlockAsync(Person blocker, Person blocked)
    {
        using var response = await blocker.Users.PostAsync($"/user/{blocked.Username}/block", null, Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>Asks until Friendship, which learns of blocks from events, answers <paramref name="status"/>.</summary>
    private static async Task<System.Text.Json.JsonElement> WaitForStatusAsync(Person from, Person to, HttpStatusCode status)
    {
        var body = await Eventually.GetAsync(async () =>
        {
            using var response = await from.RequestAsync(new { username = to.Username });
            return (response.StatusCode, Body: await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Cancellation));
        }, r => r.StatusCode == status, $"a request from {from.Username} to {to.Username} to get {(int)status}");
        return body.Body;
    }
}
