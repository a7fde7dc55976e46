using Messenger.Contracts;

namespace Messenger.Testing.Services;

/// <summary>
/// The event log one test system's services share: Redis Streams under the system's key prefix on
/// the shared Redis (the default of <see cref="ServiceApp{TEntryPoint}"/>), or a private Kafka broker
/// (librdkafka's mock cluster) that already holds every messenger topic and its dead-letter topic.
/// </summary>
public sealed class TestEventLog : IDisposable
{
    private static readonly string[] MessengerTopics = [Topics.AuthUsers, Topics.UserProfiles, Topics.Friendships, Topics.ChatMessages];

    private readonly KafkaTestBroker? broker;

    private TestEventLog(KafkaTestBroker? broker) => this.broker = broker;

    public string Transport => broker is null ? "redis" : "kafka";

    /// <summary>The Kafka broker (to take it down and up in outage tests); null on Redis Streams.</summary>
    public KafkaTestBroker? Broker => broker;

    public static TestEventLog Redis() => new(null);

    public static TestEventLog Kafka()
    {
        var broker = KafkaTestBroker.Start();
        foreach (var topic in MessengerTopics)
        {
            broker.CreateTopic(topic, partitions: 3);
            broker.CreateTopic(Topics.DeadLetter(topic), partitions: 1);
        }

        return new TestEventLog(broker);
    }

    /// <summary>
    /// A service's settings for this log (<c>EventBus:…</c>). On the mock broker a joining consumer
    /// waits about the session timeout, so it is short, and offsets are committed often.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings => broker is null
        ? new Dictionary<string, string> { ["EventBus:Transport"] = Transport }
        : new Dictionary<string, string>
        {
            ["EventBus:Transport"] = Transport,
            ["EventBus:Kafka:BootstrapServers"] = broker.BootstrapServers,
            ["EventBus:Kafka:SessionTimeoutMs"] = "6000",
            ["EventBus:Kafka:AutoCommitIntervalMs"] = "200",
        };

    /// <summary>Points a service at this log; call before the service starts.</summary>
    public ServiceApp<T> Configure<T>(ServiceApp<T> app) where T : class
    {
        foreach (var (key, value) in Settings)
        {
            app.Settings[key] = value;
        }

        return app;
    }

    /// <summary>Stops the Kafka broker; dispose the services using it first.</summary>
    public void Dispose() => broker?.Dispose();
}
