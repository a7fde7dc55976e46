using Chat.Api.Extensions;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.Api.Domain.Attachments;

/// <summary>
/// Uploads per user per fixed window, counted in Redis so every instance shares the count.
/// Checked before a byte of the body is read.
/// </summary>
public sealed class UploadRateLimiter(IConnectionMultiplexer redis, RedisKeyspace keyspace, IOptions<AttachmentOptions> options, TimeProvider time)
{
    private readonly AttachmentOptions settings = options.Value;

    /// <summary>Null when the user may upload now; otherwise how long until they may.</summary>
    public async Task<TimeSpan?> TryAcquireAsync(Guid userId)
    {
        var window = settings.UploadWindow.Ticks;
        var now = time.GetUtcNow().UtcTicks;
        var windowStart = now - (now % window);
        var key = keyspace.Key($"chat:uploads:{userId:N}:{windowStart}");
        // One round trip, and the count can never be left without its expiry.
        var transaction = redis.GetDatabase().CreateTransaction();
        var count = transaction.StringIncrementAsync(key);
        _ = transaction.KeyExpireAsync(key, settings.UploadWindow + TimeSpan.FromSeconds(5));
        await transaction.ExecuteAsync();
        return await count <= settings.UploadsPerWindow ? null : TimeSpan.FromTicks(windowStart + window - now);
    }
}
