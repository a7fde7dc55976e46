using System.Net;
using System.Net.Http.Json;
using Auth.Tests.Infrastructure;
using Messenger.ServiceDefaults.Authentication;
using Messenger.Testing;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Auth.Tests;

/// <summary>Logging out while Redis fails: the client is told to retry, and the retry really ends the sessions.</summary>
public sealed class RevocationFailureTests(RevocationFailureTests.FlakyAuthApp app) : IClassFixture<RevocationFailureTests.FlakyAuthApp>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_logout_that_failed_on_Redis_revokes_every_session_when_retried()
    {
        var client = app.CreateClient();
        var tokens = await client.RegisterAsync();
        var phone = await client.LoginAsync(tokens.Username);

        app.Revocations.FailNext = true;
        using var failed = await app.CreateClient(tokens.AccessToken).PostAsJsonAsync("/logout", new { allSessions = true }, Cancellation);
        using var retried = await app.CreateClient(tokens.AccessToken).PostAsJsonAsync("/logout", new { allSessions = true }, Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, retried.StatusCode);
        foreach (var session in new[] { tokens, phone })
        {
            using var sessions = await app.CreateClient(session.AccessToken).GetAsync("/sessions", Cancellation);
            Assert.Equal(HttpStatusCode.Unauthorized, sessions.StatusCode);
        }
    }

    /// <summary>Auth whose session revocations fail once on request, as a Redis outage would.</summary>
    public sealed class FlakyAuthApp : AuthApp
    {
        public FlakyAuthApp(TestServers servers) : base(servers) =>
            TestServices = services =>
            {
                var real = services.Single(d => d.ServiceType == typeof(ISessionRevocations));
                services.Remove(real);
                services.AddSingleton<ISessionRevocations>(sp =>
                {
                    Revocations.Inner = (ISessionRevocations)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!);
                    return Revocations;
                });
            };

        public FlakyRevocations Revocations { get; } = new();
    }

    public sealed class FlakyRevocations : ISessionRevocations
    {
        public ISessionRevocations Inner { get; set; } = null!;

        public bool FailNext { get; set; }

        public ValueTask<bool> IsRevokedAsync(Guid sessionId) => Inner.IsRevokedAsync(sessionId);

        public Task RevokeAsync(Guid sessionId)
        {
            if (FailNext)
            {
                FailNext = false;
                throw new RedisException("Redis went away");
            }

            return Inner.RevokeAsync(sessionId);
        }

        public Task SubscribeAsync(Action<Guid> onRevoked) => Inner.SubscribeAsync(onRevoked);
    }
}
