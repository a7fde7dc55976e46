using System.Net;
using System.Net.Http.Json;
using Auth.Api.Data;
using Auth.Api.Sessions;
using Auth.Tests.Infrastructure;
using Messenger.Testing.Services;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Auth.Tests;

/// <summary>Refresh tokens and ended sessions do not pile up forever; live sessions are untouched.</summary>
public sealed class SessionRetentionTests(AuthApp app) : IClassFixture<AuthApp>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Retention_deletes_old_used_tokens_and_long_ended_sessions_and_keeps_what_still_works()
    {
        var client = app.CreateClient();
        var kept = await client.RegisterAsync();
        var ended = await client.LoginAsync(kept.Username);
        // Two refreshes leave two used tokens behind the current one.
        var current = kept;
        for (var i = 0; i < 2; i++)
        {
            using var refreshed = await client.PostAsJsonAsync("/token/refresh", new { refreshToken = current.RefreshToken }, Cancellation);
            Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
            current = (await refreshed.Content.ReadFromJsonAsync<Tokens>(Cancellation))!;
        }

        using (var logout = await app.CreateClient(ended.AccessToken).PostAsync("/logout", null, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        // Eight days on the used tokens are past the reuse window; the current one still works.
        var retention = app.Services.GetRequiredService<SessionRetention>();
        var afterEightDays = await retention.PurgeAsync(DateTimeOffset.UtcNow.AddDays(8), Cancellation);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        Assert.True(afterEightDays.RefreshTokens >= 2, $"{afterEightDays.RefreshTokens} used tokens deleted");
        Assert.Equal(1, await db.RefreshTokens.CountAsync(t => t.SessionId == kept.SessionId, Cancellation));
        using (var stillWorks = await client.PostAsJsonAsync("/token/refresh", new { refreshToken = current.RefreshToken }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
        }

        // Forty days on the logged-out session is past retention; the live one stays.
        var afterFortyDays = await retention.PurgeAsync(DateTimeOffset.UtcNow.AddDays(40), Cancellation);
        Assert.True(afterFortyDays.Sessions >= 1, $"{afterFortyDays.Sessions} ended sessions deleted");
        Assert.False(await db.Sessions.AnyAsync(s => s.Id == ended.SessionId, Cancellation));
        Assert.True(await db.Sessions.AnyAsync(s => s.Id == kept.SessionId, Cancellation));
    }
}
