using System.Net;
using System.Net.Http.Json;
using Auth.Tests.Infrastructure;
using Messenger.Testing.Services;
using Messenger.Testing;

namespace Auth.Tests;

public sealed class LoginTests(LoginTests.App app) : IClassFixture<LoginTests.App>
{
    /// <summary>Small limits so the throttle is reached in a few requests.</summary>
    public sealed class App : AuthApp
    {
        public App(TestServers servers) : base(servers)
        {
            Settings["LoginThrottle:MaxFailuresPerAccount"] = "3";
            Settings["LoginThrottle:MaxFailuresPerAddress"] = "5";
            Settings["LoginThrottle:Window"] = "00:10:00";
        }
    }

    private readonly HttpClient _client = app.CreateClient();

    // Each test acts from its own client address (the service trusts X-Forwarded-For from
    // loopback, where the gateway runs), so per-address limits of one test do not touch another.
    private HttpClient ClientFrom(string address)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return client;
    }

    private static string NewAddress() => $"10.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";

    [Fact]
    public async Task Login_by_username_or_email_in_any_case_returns_tokens()
    {
        var username = AuthClient.NewUsername();
        var registered = await _client.RegisterAsync(username, email: $"{username}@Example.org");
        var client = ClientFrom(NewAddress());

        var byName = await client.LoginAsync(username.ToUpperInvariant());
        var byEmail = await client.LoginAsync($"{username}@EXAMPLE.ORG");

        Assert.Equal(registered.UserId, byName.UserId);
        Assert.Equal(registered.UserId, byEmail.UserId);
        Assert.NotEqual(byName.SessionId, byEmail.SessionId);
    }

    [Fact]
    public async Task Wrong_password_and_unknown_user_get_the_same_401()
    {
        var username = AuthClient.NewUsername();
        await _client.RegisterAsync(username);
        var client = ClientFrom(NewAddress());

        using var wrongPassword = await client.PostAsJsonAsync("/login", new { username, password = "not the password" },
            TestContext.Current.CancellationToken);
        using var unknownUser = await client.PostAsJsonAsync("/login", new { username = AuthClient.NewUsername(), password = "not the password" },
            TestContext.Current.CancellationToken);

        var a = await wrongPassword.AssertProblemAsync(HttpStatusCode.Unauthorized);
        var b = await unknownUser.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Missing_fields_get_400_with_field_errors()
    {
        using var response = await _client.PostAsJsonAsync("/login", new { username = "" }, TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors("username"));
        Assert.NotEmpty(problem.FieldErrors("password"));
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account_with_429_and_Retry_After_even_for_the_right_password()
    {
        var username = AuthClient.NewUsername();
        await _client.RegisterAsync(username);

        for (var i = 0; i < 3; i++)
        {
            // Different addresses: the account limit, not the address limit, must trip.
            using var failed = await ClientFrom(NewAddress()).PostAsJsonAsync("/login", new { username, password = "wrong password" },
                TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var locked = await ClientFrom(NewAddress()).PostAsJsonAsync("/login", new { username, password = AuthClient.Password },
            TestContext.Current.CancellationToken);

        await locked.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        var retryAfter = locked.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_successful_login_clears_the_account_failure_count()
    {
        var username = AuthClient.NewUsername();
        await _client.RegisterAsync(username);
        var client = ClientFrom(NewAddress());

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 2; i++)
            {
                using var failed = await ClientFrom(NewAddress()).PostAsJsonAsync("/login", new { username, password = "wrong password" },
                    TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
            }

            await client.LoginAsync(username);
        }
    }

    [Fact]
    public async Task Many_failures_from_one_address_lock_that_address_for_every_account()
    {
        var address = NewAddress();
        var client = ClientFrom(address);
        for (var i = 0; i < 5; i++)
        {
            using var failed = await client.PostAsJsonAsync("/login", new { username = AuthClient.NewUsername(), password = "guessing" },
                TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        var victim = AuthClient.NewUsername();
        await _client.RegisterAsync(victim);
        using var blocked = await client.PostAsJsonAsync("/login", new { username = victim, password = AuthClient.Password },
            TestContext.Current.CancellationToken);
        await blocked.AssertProblemAsync(HttpStatusCode.TooManyRequests);

        // The same account still logs in from elsewhere.
        await ClientFrom(NewAddress()).LoginAsync(victim);
    }
}
