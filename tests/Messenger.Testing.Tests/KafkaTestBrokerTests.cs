using Confluent.Kafka;

namespace Messenger.Testing.Tests;

public sealed class KafkaTestBrokerTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Consumer_group_reads_back_every_message_a_producer_wrote()
    {
        using var broker = KafkaTestBroker.Start();
        broker.CreateTopic("chat.messages", partitions: 3);
        var sent = Enumerable.Range(1, 20).Select(i => ($"conversation-{i % 4}", $"message-{i}")).ToList();

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            foreach (var (key, value) in sent)
            {
                var result = await producer.ProduceAsync("chat.messages", new Message<string, string> { Key = key, Value = value }, Cancellation);
                Assert.Equal(PersistenceStatus.Persisted, result.Status);
            }
        }

        var received = new List<(string, string)>();
        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = "notification",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6000,
        }).Build())
        {
            consumer.Subscribe("chat.messages");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (received.Count < sent.Count && DateTime.UtcNow < deadline)
            {
                var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (record is not null)
                {
                    received.Add((record.Message.Key, record.Message.Value));
                }
            }
            consumer.Close();
        }

        Assert.Equal(sent.OrderBy(m => m.Item2), received.OrderBy(m => m.Item2));
    }

    [Fact]
    public async Task Produce_fails_while_the_broker_is_down_and_succeeds_once_it_is_up_again()
    {
        using var broker = KafkaTestBroker.Start();
        broker.CreateTopic("friendships", partitions: 1);
        // A short delivery timeout makes the outage visible quickly; the producer used after the
        // outage waits as long as a real one would, since reconnecting takes a while on a busy machine.
        using var impatient = Producer(broker, messageTimeoutMs: 1500);
        await impatient.ProduceAsync("friendships", new Message<string, string> { Key = "a:b", Value = "requested" }, Cancellation);

        broker.SetBrokerDown(1);
        var failure = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
            impatient.ProduceAsync("friendships", new Message<string, string> { Key = "a:b", Value = "accepted" }, Cancellation));

        broker.SetBrokerUp(1);
        using var patient = Producer(broker, messageTimeoutMs: 30_000);
        var delivered = await patient.ProduceAsync("friendships", new Message<string, string> { Key = "a:b", Value = "accepted" }, Cancellation);

        Assert.Equal(ErrorCode.Local_MsgTimedOut, failure.Error.Code);
        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
        Assert.Equal(1, delivered.Offset.Value);
    }

    private static IProducer<string, string> Producer(KafkaTestBroker broker, int messageTimeoutMs) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            MessageTimeoutMs = messageTimeoutMs,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 200,
        })
            // Refused connections are the point of this test; keep them out of the run's console.
            .SetLogHandler((_, log) => TestContext.Current.TestOutputHelper?.WriteLine($"{log.Level} {log.Message}"))
            .Build();

    [Fact]
    public void Cluster_of_three_lists_three_bootstrap_brokers_and_rejects_a_duplicate_topic()
    {
        using var broker = KafkaTestBroker.Start(brokerCount: 3);
        broker.CreateTopic("users.profiles", partitions: 6, replicationFactor: 3);

        var duplicate = Assert.Throws<InvalidOperationException>(() => broker.CreateTopic("users.profiles"));

        Assert.Equal(3, broker.BootstrapServers.Split(',').Length);
        Assert.Contains("users.profiles", duplicate.Message, StringComparison.Ordinal);
    }
}
