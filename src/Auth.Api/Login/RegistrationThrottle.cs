using System.ComponentModel.DataAnnotations;
using System.Net;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Auth.Api.Login;

/// <summary>
/// Counts registration attempts per client address in Redis. Every attempt that passed validation
/// counts (before the password is hashed), so a flood of parallel requests cannot slip past the
/// limit between a check and an increment; over the limit the address gets 429 until the window ends.
/// </summary>
public sealed class RegistrationThrottle(IConnectionMultiplexer redis, RedisKeyspace keyspace, IOptions<RegistrationThrottleOptions> options)
{
    /// <summary>Counts this attempt; returns how long the address must wait, or null when it may register.</summary>
    public async Task<TimeSpan?> TryCountAsync(IPAddress? clientAddress)
    {
        var limits = options.Value;
        // Loopback is the host itself (an operator's tools, or the gateway without a forwarded address):
        // the gateway forwards every real client's address, so no outside client is ever loopback.
        if (limits.ExemptLoopback && clientAddress is not null && IPAddress.IsLoopback(clientAddress))
        {
            return null;
        }

        var db = redis.GetDatabase();
        var key = keyspace.Key($"auth:registrations:address:{clientAddress?.ToString() ?? "unknown"}");
        var count = await db.StringIncrementAsync(key);
        // The window starts at the first attempt and is not extended by later ones.
        await db.KeyExpireAsync(key, limits.Window, ExpireWhen.HasNoExpiry);
        if (count <= limits.MaxPerAddress)
        {
            return null;
        }

        var wait = await db.KeyTimeToLiveAsync(key);
        return wait is { } left && left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1);
    }
}

public sealed class RegistrationThrottleOptions
{
    public const string SectionName = "RegistrationThrottle";

    [Range(1, 1_000_000)]
    public int MaxPerAddress { get; set; } = 20;

    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    public bool ExemptLoopback { get; set; } = true;
}
