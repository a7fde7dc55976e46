using System.Collections.Concurrent;
using System.Diagnostics;
using Chat.Api.Extensions;
using Microsoft.Extensions.Options;

namespace Chat.Api.Realtime;

/// <summary>
/// A token bucket per user across all of the user's connections to this instance, on top of each
/// connection's own bucket: opening more sockets does not buy a user more writes. Kept in memory
/// (no Redis round trip per frame); a user spread over n instances gets at most n times the limit.
/// A bucket that has refilled is dropped, so idle users cost nothing.
/// </summary>
internal sealed class UserRateLimiter(IOptions<ChatOptions> options)
{
    private readonly ConcurrentDictionary<Guid, Bucket> buckets = new();
    private readonly int capacity = options.Value.RateLimit.PerUserBurst ?? 2 * options.Value.RateLimit.Burst;
    private readonly double perSecond = options.Value.RateLimit.PerUserPerSecond ?? 2 * options.Value.RateLimit.PerSecond;
    private long lastSweep = Stopwatch.GetTimestamp();

    public bool TryTake(Guid userId)
    {
        var now = Stopwatch.GetTimestamp();
        SweepIfDue(now);
        var bucket = buckets.GetOrAdd(userId, static (_, capacity) => new Bucket(capacity), capacity);
        lock (bucket)
        {
            bucket.Refill(now, capacity, perSecond);
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens--;
            return true;
        }
    }

    private void SweepIfDue(long now)
    {
        var last = Interlocked.Read(ref lastSweep);
        if (Stopwatch.GetElapsedTime(last, now) < TimeSpan.FromMinutes(1) || Interlocked.CompareExchange(ref lastSweep, now, last) != last)
        {
            return;
        }

        foreach (var (userId, bucket) in buckets)
        {
            lock (bucket)
            {
                bucket.Refill(now, capacity, perSecond);
                if (bucket.Tokens >= capacity)
                {
                    buckets.TryRemove(new KeyValuePair<Guid, Bucket>(userId, bucket));
                }
            }
        }
    }

    private sealed class Bucket(int capacity)
    {
        private long updatedAt = Stopwatch.GetTimestamp();

        public double Tokens { get; set; } = capacity;

        public void Refill(long now, int capacity, double perSecond)
        {
            Tokens = Math.Min(capacity, Tokens + (Stopwatch.GetElapsedTime(updatedAt, now).TotalSeconds * perSecond));
            updatedAt = now;
        }
    }
}
