using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Chat.Api.Data;
using Chat.Api.Domain;
using Chat.Api.Extensions;
using Messenger.EventBus.Outbox;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Api.Realtime;

/// <summary>A message a socket accepted, waiting to be stored; <see cref="Origin"/> gets the ack.</summary>
internal sealed record PendingSend(NewMessage Message, ChatConnection? Origin, string? RequestId = null)
{
    /// <summary>Completed with the outcome for callers that wait (the HTTP API, tests).</summary>
    public TaskCompletionSource<AppendOutcome>? Completion { get; init; }

    /// <summary>When it was queued (<see cref="Stopwatch.GetTimestamp"/>), for the queue-wait histogram.</summary>
    public long QueuedAt { get; } = Stopwatch.GetTimestamp();
}

/// <summary>
/// The group-commit writer. Messages are split over <see cref="WriterOptions.Lanes"/> lanes by
/// conversation, so one conversation always takes the same lane. Each lane has one loop that takes
/// everything queued (up to <see cref="WriterOptions.BatchSize"/>) and stores it in one transaction,
/// and a second loop that then acks each sender and delivers to the participants, in batch order,
/// while the first is already storing the next batch. One commit carries many messages, which is
/// what lets one instance store tens of thousands of messages a second; several lanes keep the
/// database busy while another lane's batch waits for its commit to reach the disk. Lanes hold
/// disjoint conversations, so their transactions never wait for each other's row locks.
/// </summary>
internal sealed partial class MessageWriter : BackgroundService
{
    private static readonly Histogram<int> BatchSizes = ChatMetrics.Meter.CreateHistogram<int>("messenger.chat.write_batch.size", "{message}");
    private static readonly Histogram<double> BatchDurations = ChatMetrics.Meter.CreateHistogram<double>("messenger.chat.write_batch.duration", "s");
    private static readonly Histogram<double> QueueWaits = ChatMetrics.Meter.CreateHistogram<double>(
        "messenger.chat.write_queue.wait", "s", "From a send frame checked and queued until its batch began to be stored");
    private static readonly Histogram<double> DeliveryDurations = ChatMetrics.Meter.CreateHistogram<double>(
        "messenger.chat.delivery.duration", "s", "Acking and handing one stored batch to the recipients' sockets");

    /// <summary>~1.5 MB of a GIN pending list for short messages: well under the 4 MB at which an insert would merge it itself.</summary>
    private const int SearchIndexUpkeepEvery = 5_000;

    private readonly Lane[] lanes;
    private readonly IMessageStore store;
    private readonly FanOut fanOut;
    private readonly OutboxSignal outboxSignal;
    private readonly TimeProvider time;
    private readonly ILogger<MessageWriter> logger;
    private readonly int batchSize;
    private readonly Lock upkeepGate = new();
    private long storedSinceUpkeep;
    private Task upkeep = Task.CompletedTask;
    private volatile bool upkeepAllowed = true;

    public MessageWriter(IMessageStore store, FanOut fanOut, OutboxSignal outboxSignal, TimeProvider time, IOptions<ChatOptions> options, ILogger<MessageWriter> logger)
    {
        this.store = store;
        this.fanOut = fanOut;
        this.outboxSignal = outboxSignal;
        this.time = time;
        this.logger = logger;
        var writer = options.Value.Writer;
        batchSize = writer.BatchSize;
        lanes = [.. Enumerable.Range(0, writer.Lanes).Select(_ => new Lane(Math.Max(1, writer.QueueCapacity / writer.Lanes)))];
    }

    /// <summary>Queues a message in its conversation's lane; waits while that queue is full, which slows the sending socket down.</summary>
    public ValueTask EnqueueAsync(PendingSend send, CancellationToken cancellationToken) =>
        lanes[(uint)send.Message.ConversationId.GetHashCode() % (uint)lanes.Length].Queue.Writer.WriteAsync(send, cancellationToken);

    /// <summary>Stores messages outside a socket (the HTTP API, tests) and waits for the outcome.</summary>
    public async Task<AppendOutcome> StoreAsync(NewMessage message, CancellationToken cancellationToken)
    {
        var outcome = new TaskCompletionSource<AppendOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        await EnqueueAsync(new PendingSend(message, null) { Completion = outcome }, cancellationToken);
        return await outcome.Task.WaitAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(lanes.SelectMany(lane => new[]
        {
            Task.Run(() => StoreLoopAsync(lane, stoppingToken), CancellationToken.None),
            Task.Run(() => DeliverLoopAsync(lane), CancellationToken.None),
        }));

    private async Task StoreLoopAsync(Lane lane, CancellationToken stoppingToken)
    {
        var reader = lane.Queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                var batch = new List<PendingSend>(Math.Min(batchSize, reader.CanCount ? Math.Max(1, reader.Count) : batchSize));
                var messages = new List<NewMessage>(batch.Capacity);
                var started = Stopwatch.GetTimestamp();
                while (batch.Count < batchSize && reader.TryRead(out var send))
                {
                    batch.Add(send);
                    messages.Add(send.Message);
                    QueueWaits.Record(Stopwatch.GetElapsedTime(send.QueuedAt, started).TotalSeconds);
                }

                var outcomes = await StoreBatchAsync(batch, messages, stoppingToken);
                BatchSizes.Record(batch.Count);
                BatchDurations.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                var newMessages = outcomes.Count(o => o.IsNew);
                if (newMessages > 0)
                {
                    outboxSignal.Notify();
                    MaintainSearchIndex(newMessages, stoppingToken);
                }

                await lane.Stored.Writer.WriteAsync(new StoredBatch(batch, outcomes), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            lane.Stored.Writer.TryComplete();
        }
    }

    /// <summary>
    /// Every <see cref="SearchIndexUpkeepEvery"/> stored messages, one upkeep of the search index runs
    /// beside the writer (never two at once), so the store never has to do it inside a batch.
    /// </summary>
    private void MaintainSearchIndex(int stored, CancellationToken stoppingToken)
    {
        if (Interlocked.Add(ref storedSinceUpkeep, stored) < SearchIndexUpkeepEvery || !upkeepAllowed)
        {
            return;
        }

        lock (upkeepGate)
        {
            if (!upkeep.IsCompleted || Interlocked.Read(ref storedSinceUpkeep) < SearchIndexUpkeepEvery)
            {
                return;
            }

            Interlocked.Exchange(ref storedSinceUpkeep, 0);
            upkeep = Task.Run(async () =>
            {
                try
                {
                    await store.MaintainSearchIndexAsync(stoppingToken);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    // Only the index's owner may do this; without it the store merges the index itself, as it always could.
                    upkeepAllowed = false;
                    LogUpkeepFailed(logger, ex);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogUpkeepFailed(logger, ex);
                }
            }, CancellationToken.None);
        }
    }

    private async Task<IReadOnlyList<AppendOutcome>> StoreBatchAsync(List<PendingSend> batch, List<NewMessage> messages, CancellationToken cancellationToken)
    {
        try
        {
            return await store.AppendAsync(messages, time.GetStorableNow(), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Nothing was acked, so every sender resends with the same clientMessageId once it sees the error.
            LogBatchFailed(logger, batch.Count, ex);
            var failed = AppendOutcome.Refused(ErrorCodes.Unavailable, "The message could not be stored; send it again with the same clientMessageId.");
            return [.. batch.Select(_ => failed)];
        }
    }

    /// <summary>Acks and delivers a lane's stored batches in the order they were stored, so every socket sees each conversation's seqs in order.</summary>
    private async Task DeliverLoopAsync(Lane lane)
    {
        await foreach (var (batch, outcomes) in lane.Stored.Reader.ReadAllAsync())
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                Deliver(batch, outcomes);
            }
            catch (Exception ex)
            {
                // The delivery loop must outlive any one batch; a recipient that missed a frame resyncs by seq.
                LogWriterFault(logger, ex);
            }

            DeliveryDurations.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private void Deliver(List<PendingSend> batch, IReadOnlyList<AppendOutcome> outcomes)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var send = batch[i];
            var outcome = outcomes[i];
            send.Completion?.TrySetResult(outcome);
            if (outcome.Message is not { } message)
            {
                send.Origin?.TrySend(FrameWriter.Error(outcome.ErrorCode!, outcome.ErrorMessage!, send.Message.ClientMessageId, send.RequestId));
                continue;
            }

            send.Origin?.TrySend(FrameWriter.Ack(message));
            if (outcome.IsNew)
            {
                fanOut.Deliver(new Delivery(FrameWriter.Message(message), send.Message.Conversation.MemberIds, send.Origin?.Id ?? default));
            }
        }
    }

    private sealed record StoredBatch(List<PendingSend> Batch, IReadOnlyList<AppendOutcome> Outcomes);

    /// <summary>One lane: the messages waiting to be stored, and the stored batches waiting to be acked and delivered.</summary>
    private sealed class Lane(int capacity)
    {
        public Channel<PendingSend> Queue { get; } = Channel.CreateBounded<PendingSend>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        public Channel<StoredBatch> Stored { get; } = Channel.CreateBounded<StoredBatch>(new BoundedChannelOptions(2)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Acking or delivering a stored batch failed")]
    private static partial void LogWriterFault(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Folding new messages into the search index failed; inserts do it themselves meanwhile")]
    private static partial void LogUpkeepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} messages could not be stored; their senders were told to resend")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
