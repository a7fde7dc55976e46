using Confluent.Kafka;
using Messenger.EventBus.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messenger.EventBus.Kafka;

/// <summary>
/// A consumer-group member that hands over what it has fetched (up to <see cref="KafkaTransportOptions.BatchSize"/>
/// messages, never waiting for more) and stores their offsets only after the callback succeeded;
/// librdkafka commits stored offsets periodically, on revocation and on close, so the group's
/// position never passes an unhandled message. Consume blocks, so the loop owns a thread.
/// </summary>
internal sealed class KafkaConsumer(IOptions<EventBusOptions> options, IHostEnvironment environment, ILogger<KafkaConsumer> logger)
    : IEventConsumerTransport
{
    public Task RunAsync(
        string group,
        IReadOnlyCollection<string> topics,
        Func<IReadOnlyList<ReceivedMessage>, CancellationToken, Task> onMessages,
        CancellationToken cancellationToken) =>
        Task.Factory.StartNew(
            () => ConsumeLoop(group, topics, onMessages, cancellationToken),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    private void ConsumeLoop(
        string group,
        IReadOnlyCollection<string> topics,
        Func<IReadOnlyList<ReceivedMessage>, CancellationToken, Task> onMessages,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var config = new ConsumerConfig
        {
            BootstrapServers = settings.Kafka.BootstrapServers,
            GroupId = group,
            ClientId = environment.ApplicationName,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoCommitIntervalMs = settings.Kafka.AutoCommitIntervalMs,
            SessionTimeoutMs = settings.Kafka.SessionTimeoutMs,
        };
        using var consumer = new ConsumerBuilder<string, byte[]>(config)
            .SetErrorHandler((_, error) => logger.Log(KafkaHeaders.Severity(error), "Kafka consumer error in group {Group} {Code}: {Reason}", group, error.Code, error.Reason))
            .SetLogHandler((_, message) => logger.LogDebug("librdkafka {Facility}: {Message}", message.Facility, message.Message))
            .SetPartitionsRevokedHandler((c, _) => CommitStored(c, group))
            .Build();
        consumer.Subscribe(topics);
        try
        {
            var failures = 0;
            var batch = new List<ConsumeResult<string, byte[]>>(settings.Kafka.BatchSize);
            while (!cancellationToken.IsCancellationRequested)
            {
                batch.Clear();
                try
                {
                    if (consumer.Consume(cancellationToken) is not { Message: not null } first)
                    {
                        continue;
                    }

                    batch.Add(first);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    logger.LogWarning("Kafka consume in group {Group} failed: {Reason}", group, ex.Error.Reason);
                    continue;
                }

                TakeWhatIsFetched(consumer, batch, settings.Kafka.BatchSize, group);
                try
                {
                    onMessages([.. batch.Select(KafkaHeaders.ToReceived)], cancellationToken).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    failures++;
                    var delay = Backoff.Delay(failures, settings.Consumer.RedeliveryDelay, settings.Consumer.MaxRetryDelay);
                    logger.LogWarning(ex, "{Count} messages from {Topic} {Partition}@{Offset} on were not handled by group {Group}; reading them again in {Delay}",
                        batch.Count, batch[0].Topic, batch[0].Partition.Value, batch[0].Offset.Value, group, delay);
                    foreach (var earliest in batch.GroupBy(r => r.TopicPartition).Select(p => p.First()))
                    {
                        Rewind(consumer, earliest.TopicPartitionOffset);
                    }

                    if (cancellationToken.WaitHandle.WaitOne(delay))
                    {
                        break;
                    }

                    continue;
                }

                failures = 0;
                foreach (var result in batch)
                {
                    try
                    {
                        consumer.StoreOffset(result);
                    }
                    catch (KafkaException ex)
                    {
                        // The partition moved to another member during the callback; it will deliver the message again.
                        logger.LogDebug(ex, "Could not store offset {Offset} of {Topic} {Partition}", result.Offset.Value, result.Topic, result.Partition.Value);
                    }
                }
            }
        }
        finally
        {
            try
            {
                // Commits what was stored and leaves the group, so the partitions move on at once.
                consumer.Close();
            }
            catch (KafkaException ex)
            {
                logger.LogWarning(ex, "Kafka consumer of group {Group} did not close cleanly", group);
            }
        }
    }

    /// <summary>Adds the messages librdkafka has already fetched, up to <paramref name="limit"/>, without waiting for more.</summary>
    private void TakeWhatIsFetched(IConsumer<string, byte[]> consumer, List<ConsumeResult<string, byte[]>> batch, int limit, string group)
    {
        try
        {
            while (batch.Count < limit && consumer.Consume(TimeSpan.Zero) is { Message: not null } next)
            {
                batch.Add(next);
            }
        }
        catch (ConsumeException ex) when (!ex.Error.IsFatal)
        {
            logger.LogWarning("Kafka consume in group {Group} failed: {Reason}", group, ex.Error.Reason);
        }
    }

    private void Rewind(IConsumer<string, byte[]> consumer, TopicPartitionOffset failed)
    {
        try
        {
            consumer.Seek(failed);
        }
        catch (KafkaException ex)
        {
            // The partition was revoked meanwhile: its next owner starts at the last committed offset.
            logger.LogDebug(ex, "Could not seek back to {Offset}", failed);
        }
    }

    private void CommitStored(IConsumer<string, byte[]> consumer, string group)
    {
        try
        {
            consumer.Commit();
        }
        catch (KafkaException ex) when (ex.Error.Code is ErrorCode.Local_NoOffset or ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration)
        {
            logger.LogDebug("Nothing committed on revocation in group {Group}: {Reason}", group, ex.Error.Reason);
        }
        catch (KafkaException ex)
        {
            logger.LogWarning(ex, "Commit on revocation failed in group {Group}", group);
        }
    }
}
