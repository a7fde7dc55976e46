using System.Security.Cryptography;
using Auth.Api.Data;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Auth.Api.Tokens;

/// <summary>
/// The signing keys: which one signs now, and which are published in the JWKS. Loaded from the
/// database and reloaded every minute, so a key created by another Auth instance is picked up.
/// </summary>
public sealed class SigningKeyRing(
    IServiceScopeFactory scopes,
    IOptions<JwtOptions> jwtOptions,
    IOptions<SigningKeyOptions> keyOptions,
    TimeProvider time,
    ILogger<SigningKeyRing> logger)
{
    private volatile Snapshot? _snapshot;

    public SigningCredentials Current =>
        (_snapshot ?? throw new InvalidOperationException("Signing keys are not loaded yet.")).Current;

    public IReadOnlyList<JsonWebKey> Published => _snapshot?.Published ?? [];

    /// <summary>Creates the first key or the next one when rotation is due, then reloads.</summary>
    public async Task MaintainAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        var now = time.GetUtcNow();
        var options = keyOptions.Value;

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // One instance at a time decides about rotation.
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(hashtext('auth.signing_keys'))", cancellationToken);
            var newest = await db.SigningKeys.OrderByDescending(k => k.ActivatesAt).FirstOrDefaultAsync(cancellationToken);
            if (newest is null || newest.ActivatesAt + options.RotationInterval <= now)
            {
                // The very first key signs at once; a successor is published ahead of use so
                // every service's key cache knows it before the first token it signs arrives.
                var activatesAt = newest is null ? now : now + options.PublishAhead;
                if (newest is not null)
                {
                    newest.RetiredAt = activatesAt;
                }

                db.SigningKeys.Add(CreateKey(now, activatesAt));
                logger.LogInformation("Created a signing key that activates at {ActivatesAt}", activatesAt);
            }

            var forgetBefore = now - jwtOptions.Value.AccessTokenLifetime - options.RetainAfterRetirement;
            await db.SigningKeys.Where(k => k.RetiredAt != null && k.RetiredAt < forgetBefore).ExecuteDeleteAsync(cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await ReloadAsync(db, now, cancellationToken);
    }

    private async Task ReloadAsync(AuthDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var keys = await db.SigningKeys.AsNoTracking().OrderByDescending(k => k.ActivatesAt).ToListAsync(cancellationToken);
        var signing = keys.First(k => k.ActivatesAt <= now);
        var previous = _snapshot;
        var current = previous?.Current.Key.KeyId == signing.Id ? previous.Current : ToCredentials(signing);
        _snapshot = new Snapshot(current, [.. keys.Select(ToPublicJwk)]);
    }

    private static SigningKey CreateKey(DateTimeOffset now, DateTimeOffset activatesAt)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new SigningKey
        {
            Id = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)),
            Algorithm = SecurityAlgorithms.EcdsaSha256,
            PrivateKey = ecdsa.ExportPkcs8PrivateKey(),
            CreatedAt = now,
            ActivatesAt = activatesAt,
        };
    }

    private static SigningCredentials ToCredentials(SigningKey key)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(key.PrivateKey, out _);
        return new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = key.Id }, key.Algorithm);
    }

    private static JsonWebKey ToPublicJwk(SigningKey key)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(key.PrivateKey, out _);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        return new JsonWebKey
        {
            Kty = JsonWebAlgorithmsKeyTypes.EllipticCurve,
            Crv = JsonWebKeyECTypes.P256,
            X = Base64UrlEncoder.Encode(parameters.Q.X),
            Y = Base64UrlEncoder.Encode(parameters.Q.Y),
            Kid = key.Id,
            Alg = key.Algorithm,
            Use = JsonWebKeyUseNames.Sig,
        };
    }

    private sealed record Snapshot(SigningCredentials Current, IReadOnlyList<JsonWebKey> Published);
}

public sealed class SigningKeyOptions
{
    public const string SectionName = "Jwt:Keys";

    /// <summary>How long one key signs before its successor takes over.</summary>
    public TimeSpan RotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a new key is published before it signs.</summary>
    public TimeSpan PublishAhead { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a retired key stays published after its last token expired.</summary>
    public TimeSpan RetainAfterRetirement { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often keys are reloaded and rotation is checked.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Keeps the key ring current: at start (before the app serves) and then periodically.</summary>
public sealed class SigningKeyMaintenance(SigningKeyRing ring, IOptions<SigningKeyOptions> options, TimeProvider time, ILogger<SigningKeyMaintenance> logger)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ring.MaintainAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MaintenanceInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ring.MaintainAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Signing key maintenance failed; the loaded keys stay in use");
            }
        }
    }
}
