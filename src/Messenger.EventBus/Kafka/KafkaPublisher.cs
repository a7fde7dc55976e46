using System.Runtime.InteropServices;
using Confluent.Kafka;
using Messenger.EventBus.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messenger.EventBus.Kafka;

/// <summary>
/// An idempotent producer (acks=all): retries inside librdkafka never duplicate or reorder a
/// partition, and the key picks the partition, so events of one key stay in order.
/// </summary>
internal sealed class KafkaPublisher(IOptions<EventBusOptions> options, IHostEnvironment environment, ILogger<KafkaPublisher> logger)
    : IEventPublisherTransport, IDisposable
{
    private readonly Lock gate = new();
    private IProducer<string, byte[]>? producer;
    private volatile bool broken;

    public async Task PublishAsync(IReadOnlyList<TransportMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        var current = GetProducer();
        var deliveries = new Task[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            deliveries[i] = await ProduceAsync(current, messages[i], cancellationToken);
        }

        await Task.WhenAll(deliveries).WaitAsync(cancellationToken);
    }

    private static async Task<Task> ProduceAsync(IProducer<string, byte[]> producer, TransportMessage message, CancellationToken cancellationToken)
    {
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var value = MemoryMarshal.TryGetArray(message.Body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : message.Body.ToArray();
        var kafkaMessage = new Message<string, byte[]> { Key = message.Key, Value = value, Headers = KafkaHeaders.From(message) };
        while (true)
        {
            try
            {
                producer.Produce(message.Topic, kafkaMessage, report =>
                {
                    if (report.Error.IsError)
                    {
                        delivered.TrySetException(new KafkaException(report.Error));
                    }
                    else
                    {
                        delivered.TrySetResult();
                    }
                });
                return delivered.Task;
            }
            catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue drains as the broker acknowledges; wait for room rather than fail the batch.
                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            }
        }
    }

    private IProducer<string, byte[]> GetProducer()
    {
        lock (gate)
        {
            if (producer is not null && !broken)
            {
                return producer;
            }

            if (producer is not null)
            {
                logger.LogWarning("The Kafka producer hit a fatal error; creating a new one");
                producer.Dispose();
            }

            var kafka = options.Value.Kafka;
            var config = new ProducerConfig
            {
                BootstrapServers = kafka.BootstrapServers,
                ClientId = environment.ApplicationName,
                EnableIdempotence = true,
                Acks = Acks.All,
                LingerMs = kafka.LingerMs,
                MessageTimeoutMs = kafka.MessageTimeoutMs,
                // Java clients' partitioner, so other producers of the same keys pick the same partitions.
                Partitioner = Partitioner.Murmur2Random,
            };
            broken = false;
            producer = new ProducerBuilder<string, byte[]>(config)
                .SetErrorHandler((_, error) =>
                {
                    if (error.IsFatal)
                    {
                        broken = true;
                    }

                    logger.Log(KafkaHeaders.Severity(error), "Kafka producer error {Code}: {Reason}", error.Code, error.Reason);
                })
                .SetLogHandler((_, message) => logger.LogDebug("librdkafka {Facility}: {Message}", message.Facility, message.Message))
                .Build();
            return producer;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (producer is null)
            {
                return;
            }

            try
            {
                producer.Flush(TimeSpan.FromSeconds(5));
            }
            catch (KafkaException ex)
            {
                logger.LogWarning(ex, "Kafka producer could not flush on shutdown");
            }

            producer.Dispose();
            producer = null;
        }
    }
}
