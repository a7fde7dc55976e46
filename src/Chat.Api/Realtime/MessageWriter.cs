using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Chat.Api.Data;
using Chat.Api.Domain;
using Chat.Api.Extensions;
using Messenger.EventBus.Outbox;
using Microsoft.Extensions.Options;

namespace Chat.Api.Realtime;

/// <summary>A message a socket accepted, waiting to be stored; <see cref="Origin"/> gets the ack.</summary>
internal sealed record PendingSend(NewMessage Message, ChatConnection? Origin, string? RequestId = null)
{
    /// <summary>Completed with the outcome for callers that wait (the HTTP API, tests).</summary>
    public TaskCompletionSource<AppendOutcome>? Completion { get; init; }
}

/// <summary>
/// The group-commit writer: the one loop per instance that stores messages. It takes everything
/// queued (up to <see cref="WriterOptions.BatchSize"/>), stores it in one transaction, and only then
/// acks each sender and delivers to the participants. One commit carries many messages, which is
/// what lets one instance store tens of thousands of messages a second.
/// </summary>
internal sealed partial class MessageWriter : BackgroundService
{
    private static readonly Meter Meter = new("Messenger.Chat");
    private static readonly Histogram<int> BatchSizes = Meter.CreateHistogram<int>("messenger.chat.write_batch.size", "{message}");
    private static readonly Histogram<double> BatchDurations = Meter.CreateHistogram<double>("messenger.chat.write_batch.duration", "s");

    private readonly Channel<PendingSend> queue;
    private readonly IMessageStore store;
    private readonly FanOut fanOut;
    private readonly OutboxSignal outboxSignal;
    private readonly TimeProvider time;
    private readonly ILogger<MessageWriter> logger;
    private readonly int batchSize;

    public MessageWriter(IMessageStore store, FanOut fanOut, OutboxSignal outboxSignal, TimeProvider time, IOptions<ChatOptions> options, ILogger<MessageWriter> logger)
    {
        this.store = store;
        this.fanOut = fanOut;
        this.outboxSignal = outboxSignal;
        this.time = time;
        this.logger = logger;
        batchSize = options.Value.Writer.BatchSize;
        queue = Channel.CreateBounded<PendingSend>(new BoundedChannelOptions(options.Value.Writer.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Queues a message; waits while the queue is full, which slows the sending socket down.</summary>
    public ValueTask EnqueueAsync(PendingSend send, CancellationToken cancellationToken) => queue.Writer.WriteAsync(send, cancellationToken);

    /// <summary>Stores messages outside a socket (the HTTP API, tests) and waits for the outcome.</summary>
    public async Task<AppendOutcome> StoreAsync(NewMessage message, CancellationToken cancellationToken)
    {
        var outcome = new TaskCompletionSource<AppendOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        await EnqueueAsync(new PendingSend(message, null) { Completion = outcome }, cancellationToken);
        return await outcome.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = queue.Reader;
        var batch = new List<PendingSend>(batchSize);
        var messages = new List<NewMessage>(batchSize);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                messages.Clear();
                while (batch.Count < batchSize && reader.TryRead(out var send))
                {
                    batch.Add(send);
                    messages.Add(send.Message);
                }

                try
                {
                    await WriteBatchAsync(batch, messages, stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The writer must outlive any one batch; senders without an ack resend.
                    LogWriterFault(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteBatchAsync(List<PendingSend> batch, List<NewMessage> messages, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<AppendOutcome> outcomes;
        try
        {
            outcomes = await store.AppendAsync(messages, time.GetStorableNow(), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Nothing was acked, so every sender resends with the same clientMessageId once it sees the error.
            LogBatchFailed(logger, batch.Count, ex);
            var failed = AppendOutcome.Refused(ErrorCodes.Unavailable, "The message could not be stored; send it again with the same clientMessageId.");
            outcomes = [.. batch.Select(_ => failed)];
        }

        BatchSizes.Record(batch.Count);
        BatchDurations.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        var anyNew = false;
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
                anyNew = true;
                fanOut.Deliver(new Delivery(FrameWriter.Message(message), send.Message.Conversation.MemberIds, send.Origin?.Id ?? default));
            }
        }

        if (anyNew)
        {
            outboxSignal.Notify();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The message writer failed after storing a batch")]
    private static partial void LogWriterFault(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} messages could not be stored; their senders were told to resend")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
