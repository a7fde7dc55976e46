using System.Runtime.InteropServices;
using Messenger.Testing.Internal;

namespace Messenger.Testing;

/// <summary>
/// librdkafka's built-in Kafka-protocol cluster, listening on loopback ports inside the test
/// process. Stock Confluent.Kafka clients talk to it over real TCP. It is a test broker: it keeps
/// about 5 MB per partition, lacks most admin calls (create topics here instead) and a joining
/// consumer waits its session timeout minus a second, so consumers should use
/// <c>SessionTimeoutMs = 6000</c>. Dispose every client before the broker.
/// </summary>
public sealed class KafkaTestBroker : IDisposable
{
    private readonly Lock sync = new();
    private IntPtr handle;
    private IntPtr cluster;

    private KafkaTestBroker(IntPtr handle, IntPtr cluster, int brokerCount)
    {
        this.handle = handle;
        this.cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = Marshal.PtrToStringUTF8(Librdkafka.rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The mock cluster reported no bootstrap servers.");
    }

    /// <summary>Broker ids run from 1 to this count.</summary>
    public int BrokerCount { get; }

    public string BootstrapServers { get; }

    public static KafkaTestBroker Start(int brokerCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        Librdkafka.EnsureLoaded();
        var handle = Librdkafka.NewMockHandle();
        var cluster = Librdkafka.rd_kafka_mock_cluster_new(handle, brokerCount);
        if (cluster == IntPtr.Zero)
        {
            Librdkafka.rd_kafka_destroy(handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
        }
        // Kafka waits 3 s for more members before the first rebalance; tests would wait with it.
        Librdkafka.rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
        return new KafkaTestBroker(handle, cluster, brokerCount);
    }

    /// <summary>Creates a topic (the mock cluster does not implement the CreateTopics admin call).</summary>
    public void CreateTopic(string topic, int partitions = 3, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        lock (sync)
        {
            Check(Librdkafka.rd_kafka_mock_topic_create(Cluster(), topic, partitions, replicationFactor),
                $"create topic '{topic}'");
        }
    }

    /// <summary>Disconnects the broker and refuses new connections (ids start at 1). Leaders do not move.</summary>
    public void SetBrokerDown(int brokerId)
    {
        lock (sync)
        {
            Check(Librdkafka.rd_kafka_mock_broker_set_down(Cluster(), brokerId), $"set broker {brokerId} down");
        }
    }

    /// <summary>Lets the broker accept connections again.</summary>
    public void SetBrokerUp(int brokerId)
    {
        lock (sync)
        {
            Check(Librdkafka.rd_kafka_mock_broker_set_up(Cluster(), brokerId), $"set broker {brokerId} up");
        }
    }

    public void Dispose()
    {
        lock (sync)
        {
            if (cluster != IntPtr.Zero)
            {
                Librdkafka.rd_kafka_mock_cluster_destroy(cluster);
                cluster = IntPtr.Zero;
            }
            if (handle != IntPtr.Zero)
            {
                Librdkafka.rd_kafka_destroy(handle);
                handle = IntPtr.Zero;
            }
        }
    }

    public override string ToString() => $"Kafka mock cluster at {BootstrapServers}";

    private IntPtr Cluster()
    {
        ObjectDisposedException.ThrowIf(cluster == IntPtr.Zero, this);
        return cluster;
    }

    private static void Check(int error, string action)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"Kafka mock cluster could not {action}: {Librdkafka.ErrorText(error)}");
        }
    }
}
