using System.Collections.Concurrent;
using System.Diagnostics;
using Messenger.EventBus.Consumers;

namespace Messenger.EventBus.Tests.Infrastructure;

/// <summary>What the handlers of one test saw: every attempt, and every successful handling.</summary>
public sealed class Probe
{
    private readonly ConcurrentDictionary<(string Group, Guid EventId), int> invocations = new();

    public ConcurrentQueue<EventContext<Pinged>> Handled { get; } = new();

    public ConcurrentQueue<(string Group, Guid EventId, int Attempt)> Attempts { get; } = new();

    /// <summary>Every batch a batch handler was given (the event ids), whether it succeeded or not.</summary>
    public ConcurrentQueue<IReadOnlyList<Guid>> Batches { get; } = new();

    /// <summary>The trace each handled event's handler ran in.</summary>
    public ConcurrentDictionary<Guid, ActivityTraceId?> Traces { get; } = new();

    public IReadOnlyList<EventContext<Pinged>> HandledBy(string group) => Handled.Where(h => h.ConsumerGroup == group).ToList();

    public int InvocationsOf(Guid eventId) => invocations.Where(i => i.Key.EventId == eventId).Sum(i => i.Value);

    /// <summary>Counts an invocation and returns how many there were for this event in this group, this one included.</summary>
    public int CountInvocation(string group, Guid eventId, int attempt)
    {
        Attempts.Enqueue((group, eventId, attempt));
        return invocations.AddOrUpdate((group, eventId), 1, (_, n) => n + 1);
    }
}

public sealed class PingHandler(Probe probe) : IEventHandler<Pinged>
{
    public async Task HandleAsync(EventContext<Pinged> context, CancellationToken cancellationToken)
    {
        var invocation = probe.CountInvocation(context.ConsumerGroup, context.EventId, context.Attempt);
        switch (context.Event.Behavior)
        {
            case PingBehavior.FailTwiceThenSucceed when invocation <= 2:
                throw new InvalidOperationException($"ping {context.Event.Seq} fails on invocation {invocation}");
            case PingBehavior.AlwaysFail:
                throw new InvalidOperationException($"ping {context.Event.Seq} always fails");
            case PingBehavior.HangOnFirstDelivery when invocation == 1:
                // Stands for a consumer that dies mid-handling: it never finishes, so it never acknowledges.
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
        }

        probe.Traces[context.EventId] = Activity.Current?.TraceId;
        probe.Handled.Enqueue(context);
    }
}

/// <summary>Applies batches whole (a batch holding a poison event fails whole, like a rolled-back transaction) and single events like <see cref="PingHandler"/>.</summary>
public sealed class BatchPingHandler(Probe probe) : IEventBatchHandler<Pinged>
{
    private readonly PingHandler single = new(probe);

    public Task HandleAsync(EventContext<Pinged> context, CancellationToken cancellationToken) => single.HandleAsync(context, cancellationToken);

    public Task HandleBatchAsync(IReadOnlyList<EventContext<Pinged>> events, CancellationToken cancellationToken)
    {
        probe.Batches.Enqueue([.. events.Select(e => e.EventId)]);
        if (events.Any(e => e.Event.Behavior != PingBehavior.Succeed))
        {
            throw new InvalidOperationException("the batch holds an event that fails");
        }

        foreach (var context in events)
        {
            probe.Handled.Enqueue(context);
        }

        return Task.CompletedTask;
    }
}
