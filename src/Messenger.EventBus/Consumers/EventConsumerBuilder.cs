using Messenger.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messenger.EventBus.Consumers;

/// <summary>The events one consumer group of this service handles. Returned by <see cref="EventConsumerExtensions.AddEventConsumer"/>.</summary>
public sealed class EventConsumerBuilder
{
    private readonly Dictionary<(string Type, int Version), IEventDispatcher> dispatchers = [];

    internal EventConsumerBuilder(IServiceCollection services, string group)
    {
        Services = services;
        Group = group;
    }

    public IServiceCollection Services { get; }

    public string Group { get; }

    internal IReadOnlyDictionary<(string Type, int Version), IEventDispatcher> Dispatchers => dispatchers;

    /// <summary>Subscribes to <c>TEvent.Topic</c> and hands every <typeparamref name="TEvent"/> (of its version) to <typeparamref name="THandler"/>.</summary>
    public EventConsumerBuilder Handle<TEvent, THandler>()
        where TEvent : IIntegrationEvent
        where THandler : class, IEventHandler<TEvent>
    {
        var key = (TEvent.EventType, TEvent.Version);
        if (dispatchers.ContainsKey(key))
        {
            throw new InvalidOperationException(
                $"Consumer group '{Group}' already has a handler for {TEvent.EventType} v{TEvent.Version}; one handler per event keeps retries and dead letters unambiguous.");
        }

        dispatchers[key] = new EventDispatcher<TEvent, THandler>();
        Services.TryAddScoped<THandler>();
        return this;
    }
}

public static class EventConsumerExtensions
{
    /// <summary>
    /// Runs a member of consumer group <paramref name="group"/> in this service. Every instance of the
    /// service joins the same group, so they share the work. Requires <see cref="EventBusExtensions.AddEventBus"/>.
    /// </summary>
    public static EventConsumerBuilder AddEventConsumer(this IServiceCollection services, string group)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        var existing = services
            .Where(d => d.ServiceType == typeof(EventConsumerBuilder) && !d.IsKeyedService)
            .Select(d => d.ImplementationInstance)
            .OfType<EventConsumerBuilder>()
            .FirstOrDefault(b => b.Group == group);
        if (existing is not null)
        {
            return existing;
        }

        var builder = new EventConsumerBuilder(services, group);
        services.AddSingleton(builder);
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(sp => ActivatorUtilities.CreateInstance<EventConsumerHost>(sp, builder));
        return builder;
    }
}
