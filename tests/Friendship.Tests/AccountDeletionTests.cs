using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Friendship.Tests.Infrastructure;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Friendship.Tests;

/// <summary>UserDeleted removes the account's friendships and friend requests (docs/decisions/0070-account-deletion.md).</summary>
public sealed class AccountDeletionTests(FriendshipSystem system) : IClassFixture<FriendshipSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Deleting_an_account_ends_its_friendships_and_withdraws_its_requests_both_ways()
    {
        var alice = await system.NewPersonAsync("alice");
        var bob = await system.NewPersonAsync("bob");
        var carol = await system.NewPersonAsync("carol");
        var dave = await system.NewPersonAsync("dave");
        await system.MakeFriendsAsync(alice, bob);
        await system.MakeFriendsAsync(bob, dave);
        await carol.SendRequestAsync(alice);
        await alice.SendRequestAsync(dave);

        var request = new HttpRequestMessage(HttpMethod.Delete, "/account") { Content = JsonContent.Create(new { password = AuthClient.Password }) };
        using var deleted = await system.Auth.CreateClient(alice.Tokens.AccessToken).SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        await Eventually.UntilAsync(async () => (await bob.FriendsOfAsync(bob)).Items.All(f => f.UserId != alice.Id), "alice to leave bob's friends");
        Assert.Contains((await bob.FriendsOfAsync(bob)).Items, f => f.UserId == dave.Id);
        var carolsOutgoing = await carol.Friends.GetFromJsonAsync<JsonElement>("/friends/requests?direction=outgoing", Cancellation);
        var davesIncoming = await dave.Friends.GetFromJsonAsync<JsonElement>("/friends/requests?direction=incoming", Cancellation);
        Assert.Equal(0, carolsOutgoing.GetProperty("items").GetArrayLength());
        Assert.Equal(0, davesIncoming.GetProperty("items").GetArrayLength());
    }
}
