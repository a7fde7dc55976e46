using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Contracts.Auth;
using Messenger.Testing;
using Messenger.Testing.Services;
using User.Tests.Infrastructure;

namespace User.Tests;

/// <summary>UserDeleted removes the profile and the blocks on both sides (docs/decisions/0070-account-deletion.md).</summary>
public sealed class AccountDeletionTests(UserSystem system) : IClassFixture<UserSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Deleting_an_account_removes_its_profile_and_the_blocks_it_made_and_received()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        using (var blocked = await bob.Client.PostAsync($"/user/{alice.Username}/block", null, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, blocked.StatusCode);
        }

        using (var blocking = await alice.Client.PostAsync($"/user/{carol.Username}/block", null, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, blocking.StatusCode);
        }

        var request = new HttpRequestMessage(HttpMethod.Delete, "/account") { Content = JsonContent.Create(new { password = AuthClient.Password }) };
        using var deleted = await system.Auth.CreateClient(alice.Tokens.AccessToken).SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        await Eventually.UntilAsync(async () =>
        {
            using var profile = await bob.GetProfileAsync(alice.Username);
            return profile.StatusCode == HttpStatusCode.NotFound;
        }, "alice's profile to be gone");
        var bobsBlocks = await bob.Client.GetFromJsonAsync<JsonElement>("/user/blocked", Cancellation);
        Assert.DoesNotContain(alice.Id.ToString(), bobsBlocks.GetRawText(), StringComparison.OrdinalIgnoreCase);
        using var search = await carol.Client.GetAsync($"/user/search?q={alice.Username}", Cancellation);
        Assert.DoesNotContain(alice.Id.ToString(), await search.Content.ReadAsStringAsync(Cancellation), StringComparison.OrdinalIgnoreCase);
        // Carol's own profile is untouched.
        Assert.Equal(carol.Id, (await bob.ReadProfileAsync(carol.Username)).UserId);
    }

    [Fact]
    public async Task A_redelivered_UserDeleted_changes_nothing_else()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var deletedEvent = new UserDeleted(alice.Id, DateTimeOffset.UtcNow);

        await system.PublishAsync(deletedEvent);
        await system.PublishAsync(deletedEvent);
        await Eventually.UntilAsync(async () =>
        {
            using var profile = await bob.GetProfileAsync(alice.Username);
            return profile.StatusCode == HttpStatusCode.NotFound;
        }, "alice's profile to be gone");

        Assert.Equal(bob.Id, (await alice.ReadProfileAsync(bob.Username)).UserId);
    }
}
