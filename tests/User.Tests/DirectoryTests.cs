using System.Net;
using System.Net.Http.Json;
using Messenger.Contracts;
using Messenger.Contracts.Users;
using Messenger.Testing.Services;
using User.Tests.Infrastructure;

namespace User.Tests;

/// <summary>The internal lookup other services (Friendship, Chat) use.</summary>
public sealed class DirectoryTests(UserSystem system) : IClassFixture<UserSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_user_is_found_by_id_with_privacy_settings()
    {
        var alice = await system.NewUserAsync(displayName: "Alice");
        var bob = await system.NewUserAsync();
        using var put = await alice.Client.PutAsJsonAsync("/user/" + alice.Username,
            new { avatarUrl = "https://example.org/a.png", privacy = new { friendRequestsFrom = "friendsOfFriends", friendListVisibleTo = "everyone" } },
            Cancellation);

        var entry = await bob.Client.GetFromJsonAsync<DirectoryEntry>($"/internal/users/{alice.Id}", EventJson.Options, Cancellation);

        Assert.Equal(
            new DirectoryEntry(alice.Id, alice.Username, "Alice", "https://example.org/a.png",
                new PrivacySettings(Audience.Everyone, Audience.FriendsOfFriends, Audience.Everyone)),
            entry);
    }

    [Fact]
    public async Task A_user_is_found_by_username_in_any_case()
    {
        var alice = await system.NewUserAsync();
        var bob = await system.NewUserAsync();

        var entry = await bob.Client.GetFromJsonAsync<DirectoryEntry>($"/internal/users/by-username/{alice.Username.ToUpperInvariant()}", EventJson.Options, Cancellation);

        Assert.Equal(alice.Id, entry!.UserId);
        Assert.Equal(PrivacySettings.Default, entry.Privacy);
    }

    [Fact]
    public async Task Several_users_are_found_at_once_and_unknown_ids_are_left_out()
    {
        var alice = await system.NewUserAsync();
        var bob = await system.NewUserAsync();

        var list = await bob.Client.GetFromJsonAsync<DirectoryEntryList>(
            $"/internal/users?ids={alice.Id}&ids={bob.Id}&ids={Guid.NewGuid()}", EventJson.Options, Cancellation);

        Assert.Equal(new[] { alice.Id, bob.Id }.Order(), list!.Items.Select(e => e.UserId).Order());
    }

    [Theory]
    [InlineData("/internal/users/{0}")]
    [InlineData("/internal/users/by-username/ghost_{1}")]
    public async Task Unknown_users_get_404(string route)
    {
        var bob = await system.NewUserAsync();

        using var response = await bob.Client.GetAsync(string.Format(null, route, Guid.NewGuid(), Guid.NewGuid().ToString("N")[..8]), Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?ids=not-a-guid")]
    public async Task A_batch_without_valid_ids_gets_400(string query)
    {
        var bob = await system.NewUserAsync();

        using var response = await bob.Client.GetAsync("/internal/users" + query, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_batch_of_more_than_100_ids_gets_400()
    {
        var bob = await system.NewUserAsync();
        var query = string.Join('&', Enumerable.Range(0, 101).Select(_ => "ids=" + Guid.NewGuid()));

        using var response = await bob.Client.GetAsync("/internal/users?" + query, Cancellation);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors("ids"));
    }

    [Fact]
    public async Task Lookups_need_a_users_token()
    {
        var alice = await system.NewUserAsync();

        using var response = await system.Users.CreateClient().GetAsync($"/internal/users/{alice.Id}", Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
