using StackExchange.Redis;
using Messenger.ServiceDefaults.Redis;

namespace Messenger.ServiceDefaults.Authentication;

/// <summary>
/// Revoked session ids, kept in Redis until the last access token of the session has expired,
/// and announced on a channel so live connections (WebSockets, SSE) can close at once.
/// </summary>
public interface ISessionRevocations
{
    ValueTask<bool> IsRevokedAsync(Guid sessionId);

    Task RevokeAsync(Guid sessionId);

    /// <summary>Calls <paramref name="onRevoked"/> for every session revoked from now on, on any instance.</summary>
    Task SubscribeAsync(Action<Guid> onRevoked);
}

internal sealed class RedisSessionRevocations(IConnectionMultiplexer redis, RedisKeyspace keyspace, Microsoft.Extensions.Options.IOptions<JwtOptions> jwt)
    : ISessionRevocations
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("auth:session-revoked");

    public async ValueTask<bool> IsRevokedAsync(Guid sessionId) =>
        await redis.GetDatabase().KeyExistsAsync(Key(sessionId));

    public async Task RevokeAsync(Guid sessionId)
    {
        var db = redis.GetDatabase();
        // A little longer than a token lives, so clock skew cannot revive a session.
        var keepFor = jwt.Value.AccessTokenLifetime + TimeSpan.FromMinutes(1);
        await db.StringSetAsync(Key(sessionId), "1", keepFor);
        await redis.GetSubscriber().PublishAsync(Channel, sessionId.ToString());
    }

    public Task SubscribeAsync(Action<Guid> onRevoked) =>
        redis.GetSubscriber().SubscribeAsync(Channel, (_, message) =>
        {
            if (Guid.TryParse(message.ToString(), out var sessionId))
            {
                onRevoked(sessionId);
            }
        });

    private RedisKey Key(Guid sessionId) => keyspace.Key("auth:revoked:" + sessionId.ToString("N"));
}
