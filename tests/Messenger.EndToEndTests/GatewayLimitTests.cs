using System.Net;
using System.Net.WebSockets;
using Messenger.EndToEndTests.Infrastructure;
using Messenger.Testing.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messenger.EndToEndTests;

/// <summary>Per-client limits of a gateway in front of the running services, with small limits so they are reached quickly.</summary>
public sealed class GatewayLimitTests(MessengerApp messenger) : IAsyncLifetime
{
    private LimitedGateway _gateway = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _gateway = new LimitedGateway(messenger);
        _gateway.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_client_over_its_request_budget_gets_429_with_Retry_After_and_others_are_unaffected()
    {
        using var greedy = _gateway.Client("198.51.100.1");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await greedy.GetAsync("/.well-known/jwks.json", Cancellation);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await response.AssertProblemAsync(HttpStatusCode.TooManyRequests);
                Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            }
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        using var modest = _gateway.Client("198.51.100.2");
        using var other = await modest.GetAsync("/.well-known/jwks.json", Cancellation);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_client_over_its_connection_budget_has_further_sockets_refused()
    {
        var tokens = await _gateway.Client("198.51.100.3").RegisterAsync();
        var open = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                open.Add(await _gateway.ConnectAsync(tokens.AccessToken, "198.51.100.3"));
            }

            var refused = await Assert.ThrowsAsync<WebSocketException>(() => _gateway.ConnectAsync(tokens.AccessToken, "198.51.100.3"));
            Assert.Contains("429", refused.Message, StringComparison.Ordinal);

            // Another address still connects.
            open.Add(await _gateway.ConnectAsync(tokens.AccessToken, "198.51.100.4"));
        }
        finally
        {
            foreach (var socket in open)
            {
                socket.Abort();
                socket.Dispose();
            }
        }
    }

    /// <summary>The real gateway, on its own port, routing to the running services, with tiny limits.</summary>
    private sealed class LimitedGateway(MessengerApp messenger) : WebApplicationFactory<Messenger.Gateway.IApiMarker>
    {
        private Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            UseKestrel(0);
            foreach (var service in new[] { "auth", "user", "friendship", "chat", "notification" })
            {
                builder.UseSetting($"Services:{service}", messenger.Endpoint(service).ToString());
            }

            builder.UseSetting("Gateway:RateLimits:Burst", "5");
            builder.UseSetting("Gateway:RateLimits:RequestsPerSecond", "1");
            builder.UseSetting("Gateway:RateLimits:ConnectionsPerAddress", "2");
        }

        // The client's address arrives as X-Forwarded-For from loopback, which the gateway trusts
        // (it is how a load balancer in front of it would say who the client is).
        public HttpClient Client(string address)
        {
            var client = new HttpClient { BaseAddress = Address };
            client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
            return client;
        }

        public async Task<ClientWebSocket> ConnectAsync(string accessToken, string address)
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("X-Forwarded-For", address);
            var uri = new UriBuilder(Address) { Scheme = "ws", Path = "/chat", Query = "access_token=" + accessToken };
            await socket.ConnectAsync(uri.Uri, Cancellation);
            return socket;
        }
    }
}
