using System.Text.Json;
using Messenger.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Messenger.EventBus.Consumers;

/// <summary>Turns an envelope into a typed event and runs its handler.</summary>
internal interface IEventDispatcher
{
    string Topic { get; }

    Task DispatchAsync(IServiceProvider services, EventEnvelope envelope, Delivery delivery, CancellationToken cancellationToken);
}

internal readonly record struct Delivery(string Topic, string Key, int Attempt, string Group);

/// <summary>The event's data does not fit its contract: no retry can fix that.</summary>
internal sealed class UnreadableEventException(string message, Exception inner) : Exception(message, inner);

internal sealed class EventDispatcher<TEvent, THandler> : IEventDispatcher
    where TEvent : IIntegrationEvent
    where THandler : class, IEventHandler<TEvent>
{
    public string Topic => TEvent.Topic;

    public async Task DispatchAsync(IServiceProvider services, EventEnvelope envelope, Delivery delivery, CancellationToken cancellationToken)
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

        var handler = services.GetRequiredService<THandler>();
        var context = new EventContext<TEvent>(envelope.Id, envelope.OccurredAt, delivery.Topic, delivery.Key, data, delivery.Attempt, delivery.Group);
        await handler.HandleAsync(context, cancellationToken);
    }
}
