using System.Net;
using System.Net.Http.Json;
using Friendship.Tests.Infrastructure;
using Messenger.Contracts.Friendships;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Friendship.Tests;

/// <summary>Listing friends (privacy included) and ending friendships.</summary>
public sealed class FriendListTests(FriendshipSystem system) : IClassFixture<FriendshipSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_friend_list_pages_newest_first_with_profile_summaries()
    {
        var alice = await system.NewPersonAsync();
        var friends = new List<Person>();
        for (var i = 0; i < 3; i++)
        {
            var friend = await system.NewPersonAsync(displayName: $"Friend {i}");
            await system.MakeFriendsAsync(alice, friend);
            friends.Add(friend);
        }

        var first = await alice.FriendsOfAsync(alice, "?limit=2");
        var second = await alice.FriendsOfAsync(alice, "?limit=2&cursor=" + first.NextCursor);

        Assert.Equal([friends[2].Id, friends[1].Id], first.Items.Select(f => f.UserId));
        Assert.Equal(["Friend 2", "Friend 1"], first.Items.Select(f => f.DisplayName));
        Assert.Equal([friends[0].Id], second.Items.Select(f => f.UserId));
        Assert.Null(second.NextCursor);
        Assert.True(first.Items[0].Since >= first.Items[1].Since);
    }

    [Fact]
    public async Task Display_names_come_from_the_User_service_as_they_are_now()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync(displayName: "Bob");
        await system.MakeFriendsAsync(alice, bob);

        using var renamed = await bob.Users.PutAsJsonAsync("/user/" + bob.Username, new { displayName = "Robert" }, Cancellation);

        Assert.Equal("Robert", Assert.Single((await alice.FriendsOfAsync(alice)).Items).DisplayName);
    }

    [Fact]
    public async Task By_default_friends_see_a_friend_list_and_strangers_get_403()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var stranger = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, bob);

        Assert.Equal([alice.Id], (await bob.FriendsOfAsync(bob)).Items.Select(f => f.UserId));
        Assert.Equal([alice.Id], (await alice.FriendsOfAsync(bob)).Items.Select(f => f.UserId));
        using var forStranger = await stranger.Friends.GetAsync($"/friends/{bob.Id}", Cancellation);
        await forStranger.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_owner_opens_the_list_to_everyone_or_closes_it_to_all_but_themself()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var stranger = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, bob);

        await bob.SetPrivacyAsync(new { friendListVisibleTo = "everyone" });
        Assert.Single((await stranger.FriendsOfAsync(bob)).Items);

        await bob.SetPrivacyAsync(new { friendListVisibleTo = "nobody" });
        using var forFriend = await alice.Friends.GetAsync($"/friends/{bob.Id}", Cancellation);
        await forFriend.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Single((await bob.FriendsOfAsync(bob)).Items);
    }

    [Fact]
    public async Task The_list_of_an_unknown_user_gets_404()
    {
        var alice = await system.NewPersonAsync();

        using var response = await alice.Friends.GetAsync($"/friends/{Guid.NewGuid()}", Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/friends/not-a-guid")]
    [InlineData("/friends/{0}?limit=0")]
    [InlineData("/friends/{0}?limit=500")]
    [InlineData("/friends/{0}?limit=many")]
    [InlineData("/friends/{0}?cursor=xyz")]
    public async Task Bad_list_parameters_get_400(string route)
    {
        var alice = await system.NewPersonAsync();

        using var response = await alice.Friends.GetAsync(string.Format(null, route, alice.Id), Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Removing_a_friend_ends_the_friendship_for_both_and_publishes_FriendRemoved()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, bob);

        using var request = new HttpRequestMessage(HttpMethod.Delete, "/friends/remove") { Content = JsonContent.Create(new { userId = bob.Id }) };
        using var response = await alice.Friends.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty((await alice.FriendsOfAsync(alice)).Items);
        Assert.Empty((await bob.FriendsOfAsync(bob)).Items);
        var removed = await system.Published.WaitForAsync<FriendRemoved>(e => e.UserId == alice.Id, "the removal");
        Assert.Equal(bob.Id, removed.FriendId);
    }

    [Fact]
    public async Task A_friend_can_be_removed_with_a_query_parameter()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, bob);

        using var response = await bob.Friends.DeleteAsync($"/friends/remove?userId={alice.Id}", Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty((await alice.FriendsOfAsync(alice)).Items);
    }

    [Fact]
    public async Task Another_user_cannot_remove_my_friends()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var mallory = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, bob);

        using var response = await mallory.Friends.DeleteAsync($"/friends/remove?userId={bob.Id}", Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal([bob.Id], (await alice.FriendsOfAsync(alice)).Items.Select(f => f.UserId));
    }

    [Fact]
    public async Task Removing_someone_who_is_not_a_friend_gets_404()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();

        using var response = await alice.Friends.DeleteAsync($"/friends/remove?userId={bob.Id}", Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/friends/remove", null)]
    [InlineData("/friends/remove?userId=nope", null)]
    [InlineData("/friends/remove", "{{\"userId\": 5}}")]
    [InlineData("/friends/remove", "{{}}")]
    [InlineData("/friends/remove?userId={0}", "{{\"userId\": \"{1}\"}}")]
    [InlineData("/friends/remove?userId={2}", null)]
    public async Task A_removal_without_one_valid_user_id_gets_400(string route, string? body)
    {
        var alice = await system.NewPersonAsync();
        string Fill(string s) => string.Format(null, s, Guid.NewGuid(), Guid.NewGuid(), alice.Id);

        using var request = new HttpRequestMessage(HttpMethod.Delete, Fill(route));
        if (body is not null)
        {
            request.Content = new StringContent(Fill(body), System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await alice.Friends.SendAsync(request, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }
}
