using System.Net;
using System.Net.Http.Json;
using Friendship.Tests.Infrastructure;
using Messenger.Contracts.Friendships;
using Messenger.Testing.Services;

namespace Friendship.Tests;

/// <summary>Accepting, rejecting and withdrawing requests, and who may do which.</summary>
public sealed class AnswerTests(FriendshipSystem system) : IClassFixture<FriendshipSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Accepting_makes_both_users_friends_and_publishes_FriendRequestAccepted()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync(displayName: "Bob B.");
        var request = await alice.SendRequestAsync(bob);

        using var response = await bob.Friends.PostAsJsonAsync("/friends/accept", new { requestId = request.RequestId }, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("accepted", (await response.Content.ReadFromJsonAsync<RequestBody>(Cancellation))!.Status);
        var alicesFriend = Assert.Single((await alice.FriendsOfAsync(alice)).Items);
        Assert.Equal((bob.Id, bob.Username, "Bob B."), (alicesFriend.UserId, alicesFriend.Username, alicesFriend.DisplayName));
        Assert.Equal([alice.Id], (await bob.FriendsOfAsync(bob)).Items.Select(f => f.UserId));
        Assert.Empty((await bob.RequestsAsync("incoming")).Items);
        var accepted = await system.Published.WaitForAsync<FriendRequestAccepted>(e => e.RequestId == request.RequestId, "the accepted event");
        Assert.Equal((alice.Id, bob.Id), (accepted.FromUserId, accepted.ToUserId));
    }

    [Fact]
    public async Task Rejecting_leaves_them_strangers_publishes_FriendRequestRejected_and_allows_a_new_request()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);

        using var response = await bob.Friends.PostAsJsonAsync("/friends/reject", new { requestId = request.RequestId }, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("rejected", (await response.Content.ReadFromJsonAsync<RequestBody>(Cancellation))!.Status);
        Assert.Empty((await alice.FriendsOfAsync(alice)).Items);
        Assert.Empty((await bob.RequestsAsync("incoming")).Items);
        await system.Published.WaitForAsync<FriendRequestRejected>(e => e.RequestId == request.RequestId, "the rejected event");
        await alice.SendRequestAsync(bob);
    }

    [Theory]
    [InlineData("accept")]
    [InlineData("reject")]
    public async Task The_sender_cannot_answer_their_own_request(string answer)
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);

        using var response = await alice.Friends.PostAsJsonAsync("/friends/" + answer, new { requestId = request.RequestId }, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Single((await bob.RequestsAsync("incoming")).Items);
    }

    [Theory]
    [InlineData("accept")]
    [InlineData("reject")]
    public async Task Another_users_token_cannot_answer_my_requests(string answer)
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var mallory = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);

        using var response = await mallory.Friends.PostAsJsonAsync("/friends/" + answer, new { requestId = request.RequestId }, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(["pending"], (await bob.RequestsAsync("incoming")).Items.Select(r => r.Status));
        Assert.Empty((await mallory.FriendsOfAsync(mallory)).Items);
    }

    [Theory]
    [InlineData("accept", "accept")]
    [InlineData("accept", "reject")]
    [InlineData("reject", "accept")]
    public async Task A_request_is_answered_once(string first, string second)
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);
        using var firstAnswer = await bob.Friends.PostAsJsonAsync("/friends/" + first, new { requestId = request.RequestId }, Cancellation);

        using var secondAnswer = await bob.Friends.PostAsJsonAsync("/friends/" + second, new { requestId = request.RequestId }, Cancellation);

        Assert.Equal(HttpStatusCode.OK, firstAnswer.StatusCode);
        await secondAnswer.AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("accept")]
    [InlineData("reject")]
    public async Task Answering_an_unknown_request_gets_404(string answer)
    {
        var bob = await system.NewPersonAsync();

        using var response = await bob.Friends.PostAsJsonAsync("/friends/" + answer, new { requestId = Guid.NewGuid() }, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("accept")]
    [InlineData("reject")]
    public async Task An_answer_without_a_request_id_gets_400(string answer)
    {
        var bob = await system.NewPersonAsync();

        using var response = await bob.Friends.PostAsJsonAsync("/friends/" + answer, new { }, Cancellation);

        Assert.NotEmpty((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("requestId"));
    }

    [Fact]
    public async Task The_sender_withdraws_a_pending_request()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);

        using var response = await alice.Friends.DeleteAsync($"/friends/requests/{request.RequestId}", Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty((await bob.RequestsAsync("incoming")).Items);
        var cancelled = await system.Published.WaitForAsync<FriendRequestCancelled>(e => e.RequestId == request.RequestId, "the withdrawal");
        Assert.Equal(FriendRequestCancelled.Withdrawn, cancelled.Reason);
        using var lateAccept = await bob.Friends.PostAsJsonAsync("/friends/accept", new { requestId = request.RequestId }, Cancellation);
        await lateAccept.AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Only_the_sender_withdraws()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var mallory = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);

        using var byAddressee = await bob.Friends.DeleteAsync($"/friends/requests/{request.RequestId}", Cancellation);
        using var byStranger = await mallory.Friends.DeleteAsync($"/friends/requests/{request.RequestId}", Cancellation);

        await byAddressee.AssertProblemAsync(HttpStatusCode.Forbidden);
        await byStranger.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Single((await bob.RequestsAsync("incoming")).Items);
    }
}
