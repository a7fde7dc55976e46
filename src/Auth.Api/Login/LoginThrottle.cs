using System.ComponentModel.DataAnnotations;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Auth.Api.Login;

/// <summary>
/// Counts failed logins per account and per client address in Redis. Once either count reaches
/// its limit, logins for it are refused (429) until the window ends, before any password is checked.
/// </summary>
public sealed class LoginThrottle(IConnectionMultiplexer redis, RedisKeyspace keyspace, IOptions<LoginThrottleOptions> options)
{
    /// <summary>How long the caller must wait, or null when a login may be attempted.</summary>
    public async Task<TimeSpan?> GetLockoutAsync(string accountKey, string? clientAddress)
    {
        var limits = options.Value;
        var db = redis.GetDatabase();
        var account = Key("account", accountKey);
        var address = Key("address", clientAddress ?? "unknown");
        var counts = await db.StringGetAsync([account, address]);

        TimeSpan? wait = null;
        if ((long?)counts[0] >= limits.MaxFailuresPerAccount)
        {
            wait = await db.KeyTimeToLiveAsync(account);
        }

        if ((long?)counts[1] >= limits.MaxFailuresPerAddress)
        {
            var addressWait = await db.KeyTimeToLiveAsync(address);
            wait = wait is null || addressWait > wait ? addressWait : wait;
        }

        // A key caught between its last count and its expiry has no TTL left: wait one second.
        return wait is null ? null : wait.Value > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);
    }

    public async Task RecordFailureAsync(string accountKey, string? clientAddress)
    {
        var window = options.Value.Window;
        var batch = redis.GetDatabase().CreateBatch();
        var tasks = new List<Task>(4);
        foreach (var key in new[] { Key("account", accountKey), Key("address", clientAddress ?? "unknown") })
        {
            tasks.Add(batch.StringIncrementAsync(key));
            // The window starts at the first failure and is not extended by later ones.
            tasks.Add(batch.KeyExpireAsync(key, window, ExpireWhen.HasNoExpiry));
        }

        batch.Execute();
        await Task.WhenAll(tasks);
    }

    public Task RecordSuccessAsync(string accountKey) =>
        redis.GetDatabase().KeyDeleteAsync(Key("account", accountKey));

    private RedisKey Key(string kind, string value) => keyspace.Key($"auth:login-failures:{kind}:{value}");
}

public sealed class LoginThrottleOptions
{
    public const string SectionName = "LoginThrottle";

    [Range(1, 10_000)]
    public int MaxFailuresPerAccount { get; set; } = 10;

    [Range(1, 1_000_000)]
    public int MaxFailuresPerAddress { get; set; } = 100;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
}
