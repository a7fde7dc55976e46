using System.Globalization;
using System.Text.Json;
using Messenger.Contracts;
using Messenger.EventBus.Diagnostics;
using Messenger.EventBus.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messenger.EventBus.Consumers;

/// <summary>
/// One member of a consumer group: reads the topics of the group's events, hands each event to its
/// handler in a fresh DI scope, retries a failing handler with back-off and, when it keeps failing
/// because of the event, parks the message in <c>{topic}.dlq</c> with the error before acknowledging
/// it. A handler that cannot reach its database or another dependency is retried until it can (see
/// <see cref="DependencyFailure"/>). Nothing is acknowledged that was neither handled nor parked.
/// </summary>
internal sealed class EventConsumerHost(
    EventConsumerBuilder registrations,
    IEventConsumerTransport consumer,
    IEventPublisherTransport publisher,
    IServiceScopeFactory scopes,
    IOptions<EventBusOptions> options,
    TimeProvider time,
    ILogger<EventConsumerHost> logger) : BackgroundService
{
    private const int MaxErrorMessageLength = 2_000;

    private readonly string group = registrations.Group;
    private readonly ConsumerRetryOptions retry = options.Value.Consumer;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var topics = registrations.Dispatchers.Values.Select(d => d.Topic).Distinct(StringComparer.Ordinal).ToArray();
        if (topics.Length == 0)
        {
            logger.LogWarning("Consumer group {Group} has no handlers; call .Handle<TEvent, THandler>() on AddEventConsumer", group);
            return;
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                logger.LogInformation("Consumer group {Group} reading {Topics}", group, string.Join(", ", topics));
                await consumer.RunAsync(group, topics, HandleMessagesAsync, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                var delay = Backoff.Delay(failures, retry.RedeliveryDelay, retry.MaxRetryDelay);
                logger.LogError(ex, "Consumer group {Group} stopped unexpectedly; restarting in {Delay}", group, delay);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Handles what the transport read at once, in order. A run of consecutive events for one
    /// <see cref="IEventBatchHandler{TEvent}"/> (events nobody here handles may lie between them) goes
    /// to it together; if that fails, the run is handled one event at a time.
    /// </summary>
    internal async Task HandleMessagesAsync(IReadOnlyList<ReceivedMessage> messages, CancellationToken cancellationToken)
    {
        var incoming = messages.Select(Read).ToList();
        var next = 0;
        while (next < incoming.Count)
        {
            var length = BatchRunLength(incoming, next);
            if (length == 1 || !await TryHandleBatchAsync(incoming.GetRange(next, length), cancellationToken))
            {
                for (var i = next; i < next + length; i++)
                {
                    await HandleOneAsync(incoming[i], cancellationToken);
                }
            }

            next += length;
        }
    }

    /// <summary>A received message, its envelope (null when unreadable, with the problem) and the dispatcher of its type here (null: not handled here).</summary>
    private sealed record Incoming(ReceivedMessage Message, EventEnvelope? Envelope, string Problem, IEventDispatcher? Dispatcher);

    private Incoming Read(ReceivedMessage message)
    {
        if (!TryReadEnvelope(message, out var envelope, out var problem))
        {
            return new Incoming(message, null, problem, null);
        }

        registrations.Dispatchers.TryGetValue((envelope.Type, envelope.Version), out var dispatcher);
        return new Incoming(message, envelope, "", dispatcher);
    }

    private static int BatchRunLength(List<Incoming> incoming, int start)
    {
        if (incoming[start].Dispatcher is not { HandlesBatches: true } dispatcher)
        {
            return 1;
        }

        var end = start + 1;
        while (end < incoming.Count && incoming[end].Envelope is not null && (incoming[end].Dispatcher is null || incoming[end].Dispatcher == dispatcher))
        {
            end++;
        }

        return end - start;
    }

    private async Task<bool> TryHandleBatchAsync(List<Incoming> run, CancellationToken cancellationToken)
    {
        var events = run.Where(r => r.Dispatcher is not null).ToList();
        if (events.Count < 2)
        {
            return false;
        }

        var dispatcher = events[0].Dispatcher!;
        using var activity = EventBusTelemetry.StartConsumeBatch(dispatcher.Topic, group, events.Select(e => e.Message.Headers));
        activity?.SetTag("messaging.batch.message_count", events.Count);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await dispatcher.DispatchBatchAsync(
                scope.ServiceProvider,
                [.. events.Select(e => (e.Envelope!, new Delivery(e.Message.Topic, e.Message.Key, 1, group)))],
                cancellationToken);
            EventBusTelemetry.Handled.Add(events.Count);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            EventBusTelemetry.HandlerFailures.Add(1);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            logger.LogWarning(ex, "A batch of {Count} {Type} events in group {Group} failed; handling them one at a time",
                events.Count, events[0].Envelope!.Type, group);
            return false;
        }
    }

    private async Task HandleOneAsync(Incoming incoming, CancellationToken cancellationToken)
    {
        var message = incoming.Message;
        if (incoming.Envelope is not { } envelope)
        {
            await DeadLetterAsync(message, "MalformedEvent", incoming.Problem, attempts: 0, cancellationToken);
            return;
        }

        if (incoming.Dispatcher is not { } dispatcher)
        {
            // Other events (and other versions) share the topic; this group does not want them.
            logger.LogDebug("Group {Group} skips {Type} v{Version} ({EventId}) on {Topic}", group, envelope.Type, envelope.Version, envelope.Id, message.Topic);
            return;
        }

        using var activity = EventBusTelemetry.StartConsume(message.Topic, group, message.Headers);
        activity?.SetTag("messaging.message.id", envelope.Id.ToString());
        Exception? lastError = null;
        // Only failures that concern the event count towards parking it; while a dependency is out
        // of reach the event waits for it, however long that takes, as later ones would fail alike.
        var eventFailures = 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await dispatcher.DispatchAsync(scope.ServiceProvider, envelope, new Delivery(message.Topic, message.Key, attempt, group), cancellationToken);
                EventBusTelemetry.Handled.Add(1);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (UnreadableEventException ex)
            {
                await DeadLetterAsync(message, nameof(UnreadableEventException), ex.Message, attempts: attempt, cancellationToken);
                return;
            }
            catch (Exception ex)
            {
                lastError = ex;
                EventBusTelemetry.HandlerFailures.Add(1);
                var dependency = DependencyFailure.Is(ex);
                if (!dependency && ++eventFailures == retry.MaxAttempts)
                {
                    break;
                }

                var delay = Backoff.Delay(attempt, retry.InitialRetryDelay, retry.MaxRetryDelay);
                if (dependency)
                {
                    logger.LogWarning(ex, "Handler of {Type} {EventId} in group {Group} could not reach a dependency (attempt {Attempt}); retrying in {Delay} until it answers",
                        envelope.Type, envelope.Id, group, attempt, delay);
                }
                else
                {
                    logger.LogWarning(ex, "Handler of {Type} {EventId} in group {Group} failed ({Failures} of {MaxAttempts} failures before it is parked); retrying in {Delay}",
                        envelope.Type, envelope.Id, group, eventFailures, retry.MaxAttempts, delay);
                }

                await Task.Delay(delay, time, cancellationToken);
            }
        }

        activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, lastError!.Message);
        await DeadLetterAsync(message, lastError!.GetType().FullName!, lastError.Message, retry.MaxAttempts, cancellationToken);
    }

    private static bool TryReadEnvelope(ReceivedMessage message, out EventEnvelope envelope, out string problem)
    {
        envelope = null!;
        try
        {
            var parsed = EventEnvelope.Parse(message.Body.Span);
            problem = parsed switch
            {
                { Id: var id } when id == Guid.Empty => "The envelope has no id.",
                { Type: null or "" } => "The envelope has no type.",
                { Data.ValueKind: JsonValueKind.Undefined } => "The envelope has no data.",
                _ => "",
            };
            envelope = parsed;
            return problem.Length == 0;
        }
        catch (JsonException ex)
        {
            problem = "The message is not an event envelope: " + ex.Message;
            return false;
        }
    }

    /// <summary>
    /// Parks <paramref name="message"/> in its dead-letter topic. If that fails, the exception leaves the
    /// callback, so the transport does not acknowledge and the message comes back later.
    /// </summary>
    private async Task DeadLetterAsync(ReceivedMessage message, string errorType, string errorMessage, int attempts, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(message.Headers, StringComparer.Ordinal)
        {
            [MessageHeaders.ErrorType] = errorType,
            [MessageHeaders.ErrorMessage] = errorMessage.Length > MaxErrorMessageLength ? errorMessage[..MaxErrorMessageLength] : errorMessage,
            [MessageHeaders.ConsumerGroup] = group,
            [MessageHeaders.Attempts] = attempts.ToString(CultureInfo.InvariantCulture),
            [MessageHeaders.FailedAt] = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            [MessageHeaders.OriginalPosition] = message.Topic + "/" + message.Position,
        };
        var eventId = Guid.TryParse(message.EventId, out var id) ? id : Guid.Empty;
        var deadLetter = new TransportMessage(Topics.DeadLetter(message.Topic), message.Key, eventId, message.Type ?? "", message.Body)
        {
            Headers = headers,
        };
        await publisher.PublishAsync([deadLetter], cancellationToken);
        EventBusTelemetry.DeadLettered.Add(1);
        logger.LogError("Group {Group} parked message {Position} of {Topic} (event {EventId}) in {DeadLetterTopic} after {Attempts} attempts: {ErrorType}: {ErrorMessage}",
            group, message.Position, message.Topic, message.EventId, deadLetter.Topic, attempts, errorType, errorMessage);
    }
}
