using Messenger.Testing;
using Messenger.Testing.Services;

namespace User.Tests.Infrastructure;

/// <summary>The same system on Kafka (librdkafka's Kafka-protocol broker) instead of Redis Streams.</summary>
public sealed class KafkaUserSystem(TestServers servers) : UserSystem(servers)
{
    protected override TestEventLog CreateEventLog() => TestEventLog.Kafka();
}
