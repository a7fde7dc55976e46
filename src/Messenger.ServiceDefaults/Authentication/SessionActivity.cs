using Messenger.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Messenger.ServiceDefaults.Authentication;

/// <summary>
/// When each session was last used, across all services: every authenticated request records
/// it in Redis (fire-and-forget, so it never slows a request), and Auth shows it in <c>GET /sessions</c>.
/// </summary>
public sealed class SessionActivity(IConnectionMultiplexer redis, RedisKeyspace keyspace, TimeProvider time)
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromDays(30);

    public void Touch(Guid sessionId) =>
        redis.GetDatabase().StringSet(Key(sessionId), time.GetUtcNow().ToUnixTimeMilliseconds(), KeepFor, flags: CommandFlags.FireAndForget);

    public async Task<IReadOnlyDictionary<Guid, DateTimeOffset>> GetAsync(IReadOnlyList<Guid> sessionIds)
    {
        if (sessionIds.Count == 0)
        {
            return new Dictionary<Guid, DateTimeOffset>();
        }

        var values = await redis.GetDatabase().StringGetAsync([.. sessionIds.Select(Key)]);
        var result = new Dictionary<Guid, DateTimeOffset>();
        for (var i = 0; i < sessionIds.Count; i++)
        {
            if (values[i].TryParse(out long unixMs))
            {
                result[sessionIds[i]] = DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
            }
        }

        return result;
    }

    public Task ForgetAsync(Guid sessionId) => redis.GetDatabase().KeyDeleteAsync(Key(sessionId));

    private RedisKey Key(Guid sessionId) => keyspace.Key("auth:last-seen:" + sessionId.ToString("N"));
}
