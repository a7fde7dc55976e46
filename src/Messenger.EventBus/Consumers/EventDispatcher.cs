using System.Text.Json;
using Messenger.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Messenger.EventBus.Consumers;

/// <summary>Turns envelopes into typed events and runs their handler.</summary>
internal interface IEventDispatcher
{
    string Topic { get; }

    /// <summary>Whether the handler applies runs of events together (<see cref="IEventBatchHandler{TEvent}"/>).</summary>
    bool HandlesBatches { get; }

    Task DispatchAsync(IServiceProvider services, EventEnvelope envelope, Delivery delivery, CancellationToken cancellationToken);

    /// <summary>Hands consecutive events of this dispatcher's type to the handler at once; only when <see cref="HandlesBatches"/>.</summary>
    Task DispatchBatchAsync(IServiceProvider services, IReadOnlyList<(EventEnvelope Envelope, Delivery Delivery)> events, CancellationToken cancellationToken);
}

internal readonly record struct Delivery(string Topic, string Key, int Attempt, string Group);

/// <summary>The event's data does not fit its contract: no retry can fix that.</summary>
internal sealed class UnreadableEventException(string message, Exception inner) : Exception(message, inner);

internal sealed class EventDispatcher<TEvent, THandler> : IEventDispatcher
    where TEvent : IIntegrationEvent
    where THandler : class, IEventHandler<TEvent>
{
    public string Topic => TEvent.Topic;

    public bool HandlesBatches { get; } = typeof(IEventBatchHandler<TEvent>).IsAssignableFrom(typeof(THandler));

    public async Task DispatchAsync(IServiceProvider services, EventEnvelope envelope, Delivery delivery, CancellationToken cancellationToken)
    {
        var context = Context(envelope, delivery);
        var handler = services.GetRequiredService<THandler>();
        await handler.HandleAsync(context, cancellationToken);
    }

    public async Task DispatchBatchAsync(IServiceProvider services, IReadOnlyList<(EventEnvelope Envelope, Delivery Delivery)> events, CancellationToken cancellationToken)
    {
        var contexts = events.Select(e => Context(e.Envelope, e.Delivery)).ToList();
        var handler = (IEventBatchHandler<TEvent>)services.GetRequiredService<THandler>();
        await handler.HandleBatchAsync(contexts, cancellationToken);
    }

    private static EventContext<TEvent> Context(EventEnvelope envelope, Delivery delivery)
    {
        TEvent data;
        try
        {
            data = envelope.GetData<TEvent>();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new UnreadableEventException($"The data of {envelope.Type} v{envelope.Version} does not match {typeof(TEvent).Name}: {ex.Message}", ex);
        }

        return new EventContext<TEvent>(envelope.Id, envelope.OccurredAt, delivery.Topic, delivery.Key, data, delivery.Attempt, delivery.Group);
    }
}
