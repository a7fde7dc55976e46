using StackExchange.Redis;

namespace Messenger.ServiceDefaults.Redis;

public static class RedisFailures
{
    /// <summary>
    /// Redis was unreachable, refused the command, or did not answer in time. A timeout is a
    /// <see cref="RedisTimeoutException"/>, which is a <see cref="TimeoutException"/> and not a
    /// <see cref="RedisException"/>: catching only the latter lets a slow Redis end a background loop.
    /// </summary>
    public static bool IsRedisFailure(this Exception exception) => exception is RedisException or RedisTimeoutException;
}
