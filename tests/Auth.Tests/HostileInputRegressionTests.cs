using System.Net;
using System.Net.Http.Json;
using Auth.Tests.Infrastructure;

namespace Auth.Tests;

/// <summary>Inputs the security fuzzer found answered with 503; each now gets the answer any wrong login gets.</summary>
public sealed class HostileInputRegressionTests(AuthApp app) : IClassFixture<AuthApp>
{
    [Fact]
    public async Task A_login_name_with_a_NUL_character_is_an_ordinary_401_not_a_503()
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "10.99.0.1");

        using var byName = await client.PostAsJsonAsync("/login", new { username = "ab\u0000cd", password = "whatever it is" }, TestContext.Current.CancellationToken);
        using var byEmail = await client.PostAsJsonAsync("/login", new { username = "a\u0000@example.org", password = "whatever it is" }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, byName.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, byEmail.StatusCode);
    }
}
