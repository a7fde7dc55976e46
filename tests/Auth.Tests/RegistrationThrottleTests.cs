using System.Net;
using System.Net.Http.Json;
using Auth.Tests.Infrastructure;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Auth.Tests;

public sealed class RegistrationThrottleTests(RegistrationThrottleTests.App app) : IClassFixture<RegistrationThrottleTests.App>
{
    /// <summary>A small limit so a flood reaches it in a few requests.</summary>
    public sealed class App : AuthApp
    {
        public App(TestServers servers) : base(servers)
        {
            Settings["RegistrationThrottle:MaxPerAddress"] = "3";
            Settings["RegistrationThrottle:Window"] = "00:10:00";
        }
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private HttpClient ClientFrom(string? address)
    {
        var client = app.CreateClient();
        if (address is not null)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        }

        return client;
    }

    private static string NewAddress() => $"10.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";

    private static async Task<HttpResponseMessage> RegisterAsync(HttpClient client) =>
        await client.PostAsJsonAsync("/register", new { username = AuthClient.NewUsername("flood"), password = AuthClient.Password }, Cancellation);

    [Fact]
    public async Task Registrations_over_the_limit_from_one_address_get_429_with_Retry_After_while_other_addresses_register()
    {
        var flooder = ClientFrom(NewAddress());
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await RegisterAsync(flooder);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        using var neighbour = await RegisterAsync(ClientFrom(NewAddress()));

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.Created, neighbour.StatusCode);
    }

    [Fact]
    public async Task A_parallel_flood_from_one_address_creates_no_more_accounts_than_the_limit()
    {
        var flooder = ClientFrom(NewAddress());
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => RegisterAsync(flooder)));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Invalid_registrations_do_not_use_up_the_limit()
    {
        var client = ClientFrom(NewAddress());
        for (var i = 0; i < 5; i++)
        {
            using var invalid = await client.PostAsJsonAsync("/register", new { username = "x", password = "short" }, Cancellation);
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }

        using var valid = await RegisterAsync(client);
        Assert.Equal(HttpStatusCode.Created, valid.StatusCode);
    }

    [Fact]
    public async Task The_host_itself_on_loopback_is_not_limited()
    {
        for (var i = 0; i < 5; i++)
        {
            using var response = await RegisterAsync(ClientFrom(null));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }
}
