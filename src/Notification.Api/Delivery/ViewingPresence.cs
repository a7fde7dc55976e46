using Messenger.Contracts.Chat;
using Messenger.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Notification.Api.Delivery;

/// <summary>Which users are looking at a conversation now, as Chat records it (<see cref="PresenceKeys.Viewing"/>).</summary>
public sealed partial class ViewingPresence(IConnectionMultiplexer redis, RedisKeyspace keyspace, ILogger<ViewingPresence> logger)
{
    public async Task<IReadOnlySet<Guid>> WhoIsViewingAsync(Guid conversationId, IReadOnlyList<Guid> userIds)
    {
        if (userIds.Count == 0)
        {
            return new HashSet<Guid>();
        }

        try
        {
            var db = redis.GetDatabase();
            var batch = db.CreateBatch();
            // Chat stores the conversation id in its default format.
            var member = (RedisValue)conversationId.ToString();
            var checks = userIds.Select(userId => batch.SetContainsAsync(keyspace.Key(PresenceKeys.Viewing(userId)), member)).ToList();
            batch.Execute();
            var viewing = await Task.WhenAll(checks);
            return userIds.Where((_, i) => viewing[i]).ToHashSet();
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            // Without presence, telling someone who may be looking beats losing the notification
            // (the event would otherwise fail until it is dead-lettered).
            LogPresenceUnavailable(logger, ex, conversationId);
            return new HashSet<Guid>();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence unavailable; notifying every member of conversation {ConversationId}")]
    private static partial void LogPresenceUnavailable(ILogger logger, Exception exception, Guid conversationId);
}
