using Messenger.EventBus.Transport;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messenger.EventBus.Redis;

/// <summary>Appends messages to one stream per topic (XADD) and wakes idle consumers; consumers trim the streams.</summary>
internal sealed class RedisStreamsPublisher(IConnectionMultiplexer redis, RedisKeyspace keyspace, IOptions<EventBusOptions> options)
    : IEventPublisherTransport
{
    public async Task PublishAsync(IReadOnlyList<TransportMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var db = redis.GetDatabase();
        var addOptions = new StreamAddOptions
        {
            MaxLength = options.Value.Redis.MaxLength,
            Approximate = options.Value.Redis.MaxLength is not null,
        };

        // One connection keeps the commands in order, so entries of one key land in order.
        var batch = db.CreateBatch();
        var appends = new Task<RedisValue>[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            appends[i] = batch.StreamAddAsync(RedisStreamNames.Stream(keyspace, message.Topic), ToFields(message), addOptions);
        }

        batch.Execute();
        await Task.WhenAll(appends).WaitAsync(cancellationToken);

        var subscriber = redis.GetSubscriber();
        foreach (var topic in messages.Select(m => m.Topic).Distinct(StringComparer.Ordinal))
        {
            // A lost wake-up only costs a poll interval, so it is sent without waiting for delivery.
            await subscriber.PublishAsync(RedisStreamNames.WakeUp(topic), RedisValue.EmptyString, CommandFlags.FireAndForget);
        }
    }

    private static NameValueEntry[] ToFields(TransportMessage message)
    {
        var fields = new NameValueEntry[4 + message.Headers.Count];
        fields[0] = new NameValueEntry(RedisStreamNames.IdField, message.EventId.ToString());
        fields[1] = new NameValueEntry(RedisStreamNames.TypeField, message.Type);
        fields[2] = new NameValueEntry(RedisStreamNames.KeyField, message.Key);
        fields[3] = new NameValueEntry(RedisStreamNames.BodyField, message.Body);
        var i = 4;
        foreach (var (name, value) in message.Headers)
        {
            fields[i++] = new NameValueEntry(name, value);
        }

        return fields;
    }
}
