using System.Globalization;
using System.Text.Json;
using Messenger.ServiceDefaults.Redis;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Notification.Api.Domain;
using Notification.Api.Push;
using StackExchange.Redis;

namespace Notification.Api.Delivery;

/// <summary>The Redis names of live delivery (before the deployment's prefix).</summary>
public static class LiveNames
{
    /// <summary>The channel every change of the user's notifications is published on: <c>{seq}\n{notification JSON}</c>.</summary>
    public static string UserChannel(Guid userId) => $"notifications:user:{userId:N}";

    /// <summary>A sorted set of the user's open streams, scored by when each expires unless its heartbeat refreshes it.</summary>
    public static string LiveStreams(Guid userId) => $"notifications:live:{userId:N}";
}

/// <summary>
/// After a transaction commits, announces its changes on each user's channel, where every instance
/// holding a stream of that user picks them up, and wakes the push sender.
/// </summary>
public sealed partial class ChangePublisher(
    IConnectionMultiplexer redis,
    PushSignal pushSignal,
    IOptions<JsonOptions> json,
    ILogger<ChangePublisher> logger)
{
    public string Serialize(NotificationView view) => JsonSerializer.Serialize(view, json.Value.SerializerOptions);

    public async Task PublishAsync(IReadOnlyList<NotificationChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        pushSignal.Notify();
        try
        {
            var subscriber = redis.GetSubscriber();
            await Task.WhenAll(changes.Select(change => subscriber.PublishAsync(
                RedisChannel.Literal(LiveNames.UserChannel(change.UserId)),
                change.Seq.ToString(CultureInfo.InvariantCulture) + "\n" + Serialize(NotificationView.From(change.Row)))));
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            // The change is committed; streams that missed it replay it when they reconnect with Last-Event-ID.
            LogPublishFailed(logger, ex, changes.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} notification changes could not be announced live; clients get them when they resume")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, int count);
}
