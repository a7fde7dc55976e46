using System.Net;
using Friendship.Tests.Infrastructure;

namespace Friendship.Tests;

/// <summary>Inputs the security fuzzer found answered with 503; each is now the 404 of an unknown user.</summary>
public sealed class HostileInputRegressionTests(FriendshipSystem system) : IClassFixture<FriendshipSystem>
{
    [Fact]
    public async Task A_request_to_a_name_no_account_can_have_is_404_not_503()
    {
        var alice = await system.NewPersonAsync("alice");

        using var huge = await alice.RequestAsync(new { username = new string('h', 40_000) });
        using var withNul = await alice.RequestAsync(new { username = "bob\u0000" });

        Assert.Equal(HttpStatusCode.NotFound, huge.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withNul.StatusCode);
    }
}
