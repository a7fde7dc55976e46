using Messenger.EventBus.Kafka;
using Messenger.EventBus.Redis;
using Messenger.EventBus.Transport;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messenger.EventBus;

public static class EventBusExtensions
{
    /// <summary>
    /// Binds <see cref="EventBusOptions"/> from the <c>EventBus</c> section (validated at start-up) and
    /// registers the chosen transport's <see cref="IEventPublisherTransport"/> and
    /// <see cref="IEventConsumerTransport"/>. The Redis transport uses the connection registered by
    /// <see cref="RedisExtensions.AddMessengerRedis{TBuilder}"/>.
    /// </summary>
    public static TBuilder AddEventBus<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var services = builder.Services;
        services.AddOptions<EventBusOptions>()
            .BindConfiguration(EventBusOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventBusOptions>, EventBusOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<KafkaPublisher>();
        services.TryAddSingleton<KafkaConsumer>();
        services.TryAddSingleton(sp => new RedisStreamsPublisher(RequireRedis(sp), sp.GetRequiredService<RedisKeyspace>(), sp.GetRequiredService<IOptions<EventBusOptions>>()));
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<RedisStreamsConsumer>(sp, RequireRedis(sp)));

        services.TryAddSingleton<IEventPublisherTransport>(sp => IsKafka(sp)
            ? sp.GetRequiredService<KafkaPublisher>()
            : sp.GetRequiredService<RedisStreamsPublisher>());
        services.TryAddSingleton<IEventConsumerTransport>(sp => IsKafka(sp)
            ? sp.GetRequiredService<KafkaConsumer>()
            : sp.GetRequiredService<RedisStreamsConsumer>());
        return builder;
    }

    private static bool IsKafka(IServiceProvider services) =>
        string.Equals(services.GetRequiredService<IOptions<EventBusOptions>>().Value.Transport?.Trim(), EventBusTransports.Kafka, StringComparison.OrdinalIgnoreCase);

    private static IConnectionMultiplexer RequireRedis(IServiceProvider services) =>
        services.GetService<IConnectionMultiplexer>() ?? throw new InvalidOperationException(
            "EventBus:Transport is 'redis' but no Redis connection is registered: call builder.AddMessengerRedis() " +
            "(and set ConnectionStrings:redis), or set EventBus:Transport to 'kafka'.");
}
