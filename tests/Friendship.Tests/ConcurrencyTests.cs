using System.Net;
using System.Net.Http.Json;
using Friendship.Tests.Infrastructure;
using Messenger.Contracts.Friendships;

namespace Friendship.Tests;

/// <summary>Races a user can cause with two devices or two people acting at once.</summary>
public sealed class ConcurrencyTests(FriendshipSystem system) : IClassFixture<FriendshipSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_people_asking_each_other_at_the_same_moment_become_friends_exactly_once()
    {
        var pairs = new List<(Person A, Person B)>();
        for (var i = 0; i < 10; i++)
        {
            pairs.Add((await system.NewPersonAsync(), await system.NewPersonAsync()));
        }

        var races = pairs.Select(async pair =>
        {
            var responses = await Task.WhenAll(
                pair.A.RequestAsync(new { username = pair.B.Username }),
                pair.B.RequestAsync(new { userId = pair.A.Id }));
            var statuses = responses.Select(r => r.StatusCode).Order().ToArray();
            var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<RequestBody>(Cancellation)));
            foreach (var response in responses)
            {
                response.Dispose();
            }

            return (pair, statuses, bodies);
        });

        foreach (var (pair, statuses, bodies) in await Task.WhenAll(races))
        {
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Created], statuses);
            Assert.Single(bodies.Select(b => b!.RequestId).Distinct());
            Assert.Equal([pair.B.Id], (await pair.A.FriendsOfAsync(pair.A)).Items.Select(f => f.UserId));
            Assert.Equal([pair.A.Id], (await pair.B.FriendsOfAsync(pair.B)).Items.Select(f => f.UserId));
            Assert.Empty((await pair.A.RequestsAsync("incoming")).Items);
            Assert.Empty((await pair.B.RequestsAsync("incoming")).Items);
            var requestId = bodies[0]!.RequestId;
            await system.Published.WaitForAsync<FriendRequestAccepted>(e => e.RequestId == requestId, "the acceptance");
            Assert.Single(system.Published.All<FriendRequestAccepted>(), e => FriendshipKeys.Pair(e.Event.FromUserId, e.Event.ToUserId) == FriendshipKeys.Pair(pair.A.Id, pair.B.Id));
        }
    }

    [Fact]
    public async Task The_same_request_sent_eight_times_at_once_is_created_once()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => alice.RequestAsync(new { username = bob.Username })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        Assert.Single((await bob.RequestsAsync("incoming")).Items);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Accepting_and_rejecting_one_request_at_once_applies_one_answer()
    {
        var alice = await system.NewPersonAsync();
        var bob = await system.NewPersonAsync();
        var request = await alice.SendRequestAsync(bob);

        var responses = await Task.WhenAll(
            bob.Friends.PostAsJsonAsync("/friends/accept", new { requestId = request.RequestId }, Cancellation),
            bob.Friends.PostAsJsonAsync("/friends/reject", new { requestId = request.RequestId }, Cancellation),
            bob.Friends.PostAsJsonAsync("/friends/accept", new { requestId = request.RequestId }, Cancellation));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict, HttpStatusCode.Conflict], responses.Select(r => r.StatusCode).Order());
        var winner = (await responses.Single(r => r.IsSuccessStatusCode).Content.ReadFromJsonAsync<RequestBody>(Cancellation))!;
        var friends = (await alice.FriendsOfAsync(alice)).Items;
        Assert.Equal(winner.Status == "accepted" ? 1 : 0, friends.Count);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}
