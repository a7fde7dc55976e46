using System.Net;
using Messenger.Testing;
using Messenger.Testing.Services;
using User.Tests.Infrastructure;

namespace User.Tests;

/// <summary>Inputs the security fuzzer found answered with 5xx; each now gets a precise 400.</summary>
public sealed class HostileInputRegressionTests(UserSystem system) : IClassFixture<UserSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("%00")]
    [InlineData("ab%00ab")]
    public async Task A_search_text_with_a_NUL_character_gets_400_instead_of_reaching_the_database(string q)
    {
        var bob = await system.NewUserAsync();

        using var response = await bob.Client.GetAsync("/user/search?q=" + q, Cancellation);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors("q"));
    }
}
