using Messenger.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Messenger.EventBus.Redis;

/// <summary>Where a topic lives in Redis: one stream per topic, and a wake-up channel beside it.</summary>
internal static class RedisStreamNames
{
    public const string IdField = "id";
    public const string TypeField = "type";
    public const string KeyField = "key";
    public const string BodyField = "body";

    public static RedisKey Stream(RedisKeyspace keyspace, string topic) => keyspace.Key(topic);

    // The multiplexer adds the keyspace prefix to channels itself.
    public static RedisChannel WakeUp(string topic) => RedisChannel.Literal("eventbus:wake:" + topic);
}
