using Messenger.Contracts;
using Messenger.Testing;

namespace Chat.Tests.Infrastructure;

/// <summary>The same small messenger on Kafka (librdkafka's Kafka-protocol broker) instead of Redis Streams.</summary>
public sealed class KafkaChatSystem(TestServers servers) : ChatSystem(servers)
{
    public KafkaTestBroker Broker { get; } = StartBroker();

    protected override IDictionary<string, string?> SharedSettings => new Dictionary<string, string?>
    {
        ["EventBus:Transport"] = "kafka",
        ["EventBus:Kafka:BootstrapServers"] = Broker.BootstrapServers,
        ["EventBus:Kafka:SessionTimeoutMs"] = "6000",
        ["EventBus:Kafka:MessageTimeoutMs"] = "3000",
        ["EventBus:Kafka:AutoCommitIntervalMs"] = "200",
        ["EventBus:Outbox:MaxBackoff"] = "00:00:01",
    };

    private static KafkaTestBroker StartBroker()
    {
        var broker = KafkaTestBroker.Start();
        foreach (var topic in new[] { Topics.AuthUsers, Topics.UserProfiles, Topics.ChatMessages })
        {
            broker.CreateTopic(topic, partitions: 3);
            broker.CreateTopic(Topics.DeadLetter(topic), partitions: 1);
        }

        return broker;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Broker.Dispose();
    }
}
