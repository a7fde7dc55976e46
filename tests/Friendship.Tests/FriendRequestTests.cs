using System.Net;
using System.Net.Http.Json;
using System.Text;
using Friendship.Tests.Infrastructure;
using Messenger.Contracts.Friendships;
using Messenger.Testing.Services;

namespace Friendship.Tests;

public sealed class FriendRequestTests(FriendshipSystem system) : IClassFixture<FriendshipSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_by_username_is_created_and_shows_in_both_lists()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();

        using var response = await alice.RequestAsync(new { username = bob.Username });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var request = (await response.Content.ReadFromJsonAsync<RequestBody>(Cancellation))!;
        Assert.Equal($"/friends/requests/{request.RequestId}", response.Headers.Location?.OriginalString);
        Assert.Equal((alice.Id, bob.Id, "pending", alice.Username, bob.Username),
            (request.FromUserId, request.ToUserId, request.Status, request.FromUsername, request.ToUsername));
        Assert.Equal([request], (await bob.RequestsAsync("incoming")).Items);
        Assert.Equal([request], (await alice.RequestsAsync("outgoing")).Items);
        Assert.Empty((await alice.RequestsAsync("incoming")).Items);
    }

    [Fact]
    public async Task A_request_by_user_id_or_by_username_in_another_case_reaches_the_same_user()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var carol = await system.NewPersonAsync();

        using var byId = await alice.RequestAsync(new { userId = bob.Id });
        using var byUpperCase = await alice.RequestAsync(new { username = carol.Username.ToUpperInvariant() });

        Assert.Equal(bob.Id, (await byId.Content.ReadFromJsonAsync<RequestBody>(Cancellation))!.ToUserId);
        Assert.Equal(carol.Id, (await byUpperCase.Content.ReadFromJsonAsync<RequestBody>(Cancellation))!.ToUserId);
    }

    [Fact]
    public async Task Sending_publishes_FriendRequestSent()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();

        var request = await alice.SendRequestAsync(bob);

        var sent = await system.Published.WaitForAsync<FriendRequestSent>(e => e.RequestId == request.RequestId, "the sent event");
        Assert.Equal((alice.Id, alice.Username, bob.Id, bob.Username), (sent.FromUserId, sent.FromUsername, sent.ToUserId, sent.ToUsername));
    }

    [Fact]
    public async Task The_request_is_readable_by_its_two_users_only()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var mallory = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);

        foreach (var party in new[] { alice, bob })
        {
            Assert.Equal(request, await party.Friends.GetFromJsonAsync<RequestBody>($"/friends/requests/{request.RequestId}", Cancellation));
        }

        using var forMallory = await mallory.Friends.GetAsync($"/friends/requests/{request.RequestId}", Cancellation);
        await forMallory.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Asking_yourself_gets_400()
    {
        var alice = await system.NewPersonAsync();

        using var byName = await alice.RequestAsync(new { username = alice.Username });
        using var byId = await alice.RequestAsync(new { userId = alice.Id });

        Assert.NotEmpty((await byName.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("username"));
        Assert.NotEmpty((await byId.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("userId"));
    }

    [Fact]
    public async Task Asking_an_unknown_user_gets_404()
    {
        var alice = await system.NewPersonAsync();

        using var byName = await alice.RequestAsync(new { username = "ghost_" + Guid.NewGuid().ToString("N")[..8] });
        using var byId = await alice.RequestAsync(new { userId = Guid.NewGuid() });

        await byName.AssertProblemAsync(HttpStatusCode.NotFound);
        await byId.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Asking_again_while_the_request_is_pending_gets_409()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await alice.SendRequestAsync(bob);

        using var again = await alice.RequestAsync(new { userId = bob.Id });

        await again.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Single((await bob.RequestsAsync("incoming")).Items);
    }

    [Fact]
    public async Task Asking_a_friend_gets_409()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, bob);

        using var again = await bob.RequestAsync(new { username = alice.Username });

        var problem = await again.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("Already friends", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Asking_someone_who_already_asked_you_accepts_their_request()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var theirs = await bob.SendRequestAsync(alice);

        using var response = await alice.RequestAsync(new { username = bob.Username });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<RequestBody>(Cancellation))!;
        Assert.Equal(theirs with { Status = "accepted" }, accepted);
        Assert.Equal([bob.Id], (await alice.FriendsOfAsync(alice)).Items.Select(f => f.UserId));
        Assert.Equal([alice.Id], (await bob.FriendsOfAsync(bob)).Items.Select(f => f.UserId));
        Assert.Empty((await alice.RequestsAsync("incoming")).Items);
        Assert.Empty((await bob.RequestsAsync("outgoing")).Items);
    }

    [Fact]
    public async Task Users_who_take_requests_from_nobody_refuse_them_with_403()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        await bob.SetPrivacyAsync(new { friendRequestsFrom = "nobody" });

        using var response = await alice.RequestAsync(new { username = bob.Username });

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Empty((await bob.RequestsAsync("incoming")).Items);
    }

    [Fact]
    public async Task Friends_of_friends_setting_admits_only_people_with_a_common_friend()
    {
        var alice = await system.NewPersonAsync();
        var carol = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var stranger = await system.NewPersonAsync();
        await system.MakeFriendsAsync(alice, carol);
        await system.MakeFriendsAsync(carol, bob);
        await alice.SetPrivacyAsync(new { friendRequestsFrom = "friendsOfFriends" });

        using var fromStranger = await stranger.RequestAsync(new { username = alice.Username });
        using var fromFriendOfFriend = await bob.RequestAsync(new { username = alice.Username });

        await fromStranger.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Created, fromFriendOfFriend.StatusCode);
    }

    [Theory]
    [InlineData("{}", "username")]
    [InlineData("{\"username\": \"  \"}", "username")]
    [InlineData("{\"username\": \"bob\", \"userId\": \"6f1f7c9e-4a8e-4f7e-9f51-6b0f6c1f2a10\"}", "userId")]
    public async Task A_request_needs_exactly_one_of_username_and_userId(string body, string field)
    {
        var alice = await system.NewPersonAsync();

        using var response = await PostRawAsync(alice, "/friends/request", body);

        Assert.NotEmpty((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors(field));
    }

    [Theory]
    [InlineData("/friends/request", "{\"userId\": \"not-a-guid\"}")]
    [InlineData("/friends/request", "{\"username\": 42}")]
    [InlineData("/friends/request", "{\"username\": ")]
    [InlineData("/friends/request", "")]
    [InlineData("/friends/accept", "{\"requestId\": 12}")]
    [InlineData("/friends/reject", "[]")]
    public async Task Malformed_or_mistyped_json_gets_400(string route, string body)
    {
        var alice = await system.NewPersonAsync();

        using var response = await PostRawAsync(alice, route, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_415()
    {
        var alice = await system.NewPersonAsync();

        using var content = new StringContent("username=bob", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await alice.Friends.PostAsync("/friends/request", content, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("?direction=sideways", "direction")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=101", "limit")]
    [InlineData("?cursor=bm9wZQ", "cursor")]
    public async Task Bad_request_list_parameters_get_400(string query, string field)
    {
        var alice = await system.NewPersonAsync();

        using var response = await alice.Friends.GetAsync("/friends/requests" + query, Cancellation);

        Assert.NotEmpty((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors(field));
    }

    [Fact]
    public async Task Request_lists_page_newest_first()
    {
        var bob = await system.NewPersonAsync();
        var senders = new List<Person>();
        for (var i = 0; i < 3; i++)
        {
            var sender = await system.NewPersonAsync();
            await sender.SendRequestAsync(bob);
            senders.Add(sender);
        }

        var first = await bob.RequestsAsync("incoming", "&limit=2");
        var second = await bob.RequestsAsync("incoming", "&limit=2&cursor=" + first.NextCursor);

        Assert.Equal([senders[2].Id, senders[1].Id], first.Items.Select(r => r.FromUserId));
        Assert.Equal([senders[0].Id], second.Items.Select(r => r.FromUserId));
        Assert.Null(second.NextCursor);
    }

    [Fact]
    public async Task Friend_routes_need_a_signed_in_user()
    {
        var client = system.Friendship.CreateClient();

        using var request = await client.PostAsJsonAsync("/friends/request", new { username = "bob" }, Cancellation);
        using var list = await client.GetAsync($"/friends/{Guid.NewGuid()}", Cancellation);
        using var requests = await client.GetAsync("/friends/requests", Cancellation);

        Assert.All(new[] { request, list, requests }, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
    }

    private static async Task<HttpResponseMessage> PostRawAsync(Person person, string route, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await person.Friends.PostAsync(route, content, Cancellation);
    }
}
