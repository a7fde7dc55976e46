using System.Net;
using System.Net.Http.Json;
using Messenger.Contracts.Users;
using Messenger.Testing.Services;
using User.Tests.Infrastructure;

namespace User.Tests;

public sealed class BlockingTests(UserSystem system) : IClassFixture<UserSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Blocking_lists_the_user_and_publishes_UserBlocked()
    {
        var alice = await system.NewUserAsync();
        var bob = await system.NewUserAsync(displayName: "Bob B.");

        using var response = await alice.Client.PostAsync($"/user/{bob.Username}/block", null, Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var blocked = Assert.Single((await BlockedAsync(alice)).Items);
        Assert.Equal((bob.Id, bob.Username, "Bob B."), (blocked.UserId, blocked.Username, blocked.DisplayName));
        var published = await system.Published.WaitForAsync<UserBlocked>(e => e.BlockerId == alice.Id, "alice's block");
        Assert.Equal(bob.Id, published.BlockedId);
    }

    [Fact]
    public async Task Blocking_twice_keeps_one_block_and_publishes_once()
    {
        var alice = await system.NewUserAsync();
        var bob = await system.NewUserAsync();

        for (var i = 0; i < 3; i++)
        {
            using var response = await alice.Client.PostAsync($"/user/{bob.Username.ToUpperInvariant()}/block", null, Cancellation);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        // Unblocking is published after the block on the same key, so once it arrives every block event has too.
        using var unblock = await alice.Client.DeleteAsync($"/user/{bob.Username}/block", Cancellation);
        await system.Published.WaitForAsync<UserUnblocked>(e => e.BlockerId == alice.Id, "alice's unblock");
        Assert.Single(system.Published.All<UserBlocked>(), e => e.Event.BlockerId == alice.Id);
    }

    [Fact]
    public async Task Unblocking_removes_the_user_from_the_list_and_publishes_UserUnblocked()
    {
        var alice = await system.NewUserAsync();
        var bob = await system.NewUserAsync();
        using var block = await alice.Client.PostAsync($"/user/{bob.Username}/block", null, Cancellation);

        using var response = await alice.Client.DeleteAsync($"/user/{bob.Username}/block", Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty((await BlockedAsync(alice)).Items);
        var unblocked = await system.Published.WaitForAsync<UserUnblocked>(e => e.BlockerId == alice.Id, "alice's unblock");
        Assert.Equal(bob.Id, unblocked.BlockedId);
    }

    [Fact]
    public async Task Unblocking_someone_not_blocked_is_a_no_op()
    {
        var alice = await system.NewUserAsync();
        var bob = await system.NewUserAsync();

        using var response = await alice.Client.DeleteAsync($"/user/{bob.Username}/block", Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task The_blocked_list_is_the_callers_own()
    {
        var alice = await system.NewUserAsync();
        var bob = await system.NewUserAsync();
        var carol = await system.NewUserAsync();
        using var block = await alice.Client.PostAsync($"/user/{bob.Username}/block", null, Cancellation);

        Assert.Empty((await BlockedAsync(carol)).Items);
        Assert.Empty((await BlockedAsync(bob)).Items);
    }

    [Fact]
    public async Task The_blocked_list_pages_newest_first()
    {
        var alice = await system.NewUserAsync();
        var others = new List<TestUser>();
        for (var i = 0; i < 3; i++)
        {
            var other = await system.NewUserAsync();
            using var block = await alice.Client.PostAsync($"/user/{other.Username}/block", null, Cancellation);
            others.Add(other);
        }

        var first = await BlockedAsync(alice, "?limit=2");
        var second = await BlockedAsync(alice, "?limit=2&cursor=" + first.NextCursor);

        Assert.Equal([others[2].Id, others[1].Id], first.Items.Select(b => b.UserId));
        Assert.Equal([others[0].Id], second.Items.Select(b => b.UserId));
        Assert.Null(second.NextCursor);
    }

    [Fact]
    public async Task Blocking_yourself_gets_400()
    {
        var alice = await system.NewUserAsync();

        using var response = await alice.Client.PostAsync($"/user/{alice.Username}/block", null, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("DELETE")]
    public async Task Blocking_an_unknown_user_gets_404(string method)
    {
        var alice = await system.NewUserAsync();

        using var request = new HttpRequestMessage(new HttpMethod(method), "/user/ghost_" + Guid.NewGuid().ToString("N")[..8] + "/block");
        using var response = await alice.Client.SendAsync(request, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=1000", "limit")]
    [InlineData("?cursor=%21%21", "cursor")]
    public async Task Bad_list_parameters_get_400(string query, string field)
    {
        var alice = await system.NewUserAsync();

        using var response = await alice.Client.GetAsync("/user/blocked" + query, Cancellation);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors(field));
    }

    [Fact]
    public async Task Blocking_needs_a_signed_in_user()
    {
        var bob = await system.NewUserAsync();

        using var response = await system.Users.CreateClient().PostAsync($"/user/{bob.Username}/block", null, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task<PageBody<BlockedBody>> BlockedAsync(TestUser user, string query = "")
    {
        using var response = await user.Client.GetAsync("/user/blocked" + query, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PageBody<BlockedBody>>(Cancellation))!;
    }

    private sealed record BlockedBody(Guid UserId, string Username, string DisplayName, string? AvatarUrl, DateTimeOffset BlockedAt);
}
