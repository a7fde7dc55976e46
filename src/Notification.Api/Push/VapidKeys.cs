using Lib.Net.Http.WebPush.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Notification.Api.Data;
using Notification.Api.Extensions;

namespace Notification.Api.Push;

/// <summary>The server's VAPID identity: loaded before the service serves, from configuration or (Development only) the database.</summary>
public sealed class VapidKeys : IDisposable
{
    /// <summary>The contact push services see when none is configured (Development only).</summary>
    public const string DevelopmentSubject = "mailto:notifications@messenger.localhost";

    private VapidAuthentication? authentication;

    public string PublicKey => Authentication.PublicKey;

    /// <summary>Signs the <c>Authorization: vapid</c> header of each push.</summary>
    public VapidAuthentication Authentication =>
        authentication ?? throw new InvalidOperationException("The VAPID keys are not loaded yet.");

    internal void Use(VapidKeyPair pair, string subject) =>
        authentication = new VapidAuthentication(pair.PublicKey, pair.PrivateKey) { Subject = subject };

    public void Dispose() => authentication?.Dispose();
}

/// <summary>
/// Loads the VAPID keys at start. Configured keys always win. In Development without configured keys,
/// the first instance generates a pair and stores it (marked as a development default) so every
/// instance and every restart signs with the same keys and browsers' subscriptions stay valid.
/// </summary>
internal sealed class VapidKeyLoader(
    VapidKeys keys,
    IServiceScopeFactory scopes,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<VapidKeyLoader> logger) : IHostedService
{
    private const int DevelopmentKeyId = 1;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var vapid = options.Value.Vapid;
        var subject = string.IsNullOrWhiteSpace(vapid.Subject) ? VapidKeys.DevelopmentSubject : vapid.Subject;
        if (!string.IsNullOrWhiteSpace(vapid.PublicKey))
        {
            keys.Use(new VapidKeyPair(vapid.PublicKey, vapid.PrivateKey!), subject);
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationDbContext>();
        var generated = VapidKeyPair.Generate();
        // Several instances may start at once: the first insert wins and everyone reads it back.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO vapid_keys (id, public_key, private_key, note, created_at)
            VALUES ({DevelopmentKeyId}, {generated.PublicKey}, {generated.PrivateKey}, {"Development default, generated because Notifications:Vapid is not configured. Never use in production."}, {time.GetUtcNow()})
            ON CONFLICT (id) DO NOTHING
            """, cancellationToken);
        var stored = await db.VapidKeys.AsNoTracking().SingleAsync(k => k.Id == DevelopmentKeyId, cancellationToken);
        keys.Use(new VapidKeyPair(stored.PublicKey, stored.PrivateKey), subject);
        logger.LogWarning("Notifications:Vapid is not configured; using the development VAPID keys kept in the database (public key {PublicKey})", stored.PublicKey);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
