using Messenger.Testing;

namespace Messenger.EventBus.Tests.Infrastructure;

/// <summary>An event log for one test: its settings, and a way to take its server down and back up.</summary>
public abstract class TransportEnvironment : IAsyncDisposable
{
    /// <summary>Retries and polls shortened so failures show within seconds.</summary>
    private static readonly Dictionary<string, string?> CommonSettings = new()
    {
        ["EventBus:Consumer:MaxAttempts"] = "3",
        ["EventBus:Consumer:InitialRetryDelay"] = "00:00:00.050",
        ["EventBus:Consumer:MaxRetryDelay"] = "00:00:00.500",
        ["EventBus:Consumer:RedeliveryDelay"] = "00:00:00.200",
        ["EventBus:Outbox:MaxBackoff"] = "00:00:01",
    };

    public abstract string Name { get; }

    public IReadOnlyDictionary<string, string?> Settings => CommonSettings.Concat(TransportSettings).ToDictionary();

    protected abstract IEnumerable<KeyValuePair<string, string?>> TransportSettings { get; }

    public abstract Task TakeDownAsync();

    public abstract Task BringUpAsync();

    public abstract ValueTask DisposeAsync();
}

public sealed class RedisEnvironment(RedisServer server, bool ownsServer) : TransportEnvironment
{
    private readonly string prefix = TestServers.NewRedisPrefix();

    public override string Name => "redis";

    protected override IEnumerable<KeyValuePair<string, string?>> TransportSettings =>
    [
        new("EventBus:Transport", "redis"),
        // Short timeouts, so commands held back while the server is down fail within a second.
        new("ConnectionStrings:redis", server.ConnectionString + ",asyncTimeout=1000,syncTimeout=1000,connectTimeout=1000"),
        new("Redis:KeyPrefix", prefix),
        // A stopped consumer's entries are taken over after a second instead of a minute.
        new("EventBus:Redis:ClaimIdleTime", "00:00:01"),
        new("EventBus:Redis:ClaimInterval", "00:00:00.500"),
    ];

    public override Task TakeDownAsync() => server.StopAsync(TestContext.Current.CancellationToken);

    public override Task BringUpAsync() => server.RestartAsync(TestContext.Current.CancellationToken);

    public override async ValueTask DisposeAsync()
    {
        if (ownsServer)
        {
            await server.DisposeAsync();
        }
    }
}

public sealed class KafkaEnvironment : TransportEnvironment
{
    private readonly KafkaTestBroker broker = KafkaTestBroker.Start();

    public KafkaEnvironment()
    {
        foreach (var topic in new[] { Pinged.TopicName, Credited.Topic })
        {
            broker.CreateTopic(topic, partitions: 3);
            broker.CreateTopic(Contracts.Topics.DeadLetter(topic), partitions: 1);
        }
    }

    public override string Name => "kafka";

    protected override IEnumerable<KeyValuePair<string, string?>> TransportSettings =>
    [
        new("EventBus:Transport", "kafka"),
        new("EventBus:Kafka:BootstrapServers", broker.BootstrapServers),
        new("EventBus:Kafka:SessionTimeoutMs", "6000"),
        new("EventBus:Kafka:MessageTimeoutMs", "3000"),
        new("EventBus:Kafka:AutoCommitIntervalMs", "200"),
    ];

    public override Task TakeDownAsync()
    {
        broker.SetBrokerDown(1);
        return Task.CompletedTask;
    }

    public override Task BringUpAsync()
    {
        broker.SetBrokerUp(1);
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        broker.Dispose();
        return ValueTask.CompletedTask;
    }
}
