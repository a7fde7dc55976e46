using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messenger.EventBus.Outbox;

public static class OutboxExtensions
{
    /// <summary>
    /// Runs the relay that publishes <typeparamref name="TDbContext"/>'s outbox (see <see cref="OutboxModelExtensions.AddOutbox"/>),
    /// and registers the <see cref="OutboxSignal"/> that wakes it. Wire the signal into the context with
    /// <see cref="AddOutboxInterceptor"/>: <c>services.AddDbContext&lt;T&gt;((sp, o) =&gt; o.UseNpgsql(cs).AddOutboxInterceptor(sp))</c>.
    /// Requires <see cref="EventBusExtensions.AddEventBus"/>.
    /// </summary>
    public static IServiceCollection AddOutboxRelay<TDbContext>(this IServiceCollection services) where TDbContext : DbContext
    {
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<OutboxInterceptor>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<OutboxRelay<TDbContext>>();
        return services;
    }

    /// <summary>Lets outbox rows saved through this context wake the relay as soon as they are committed.</summary>
    public static DbContextOptionsBuilder AddOutboxInterceptor(this DbContextOptionsBuilder optionsBuilder, IServiceProvider services) =>
        optionsBuilder.AddInterceptors(services.GetService<OutboxInterceptor>() ?? throw new InvalidOperationException(
            "The outbox interceptor is not registered; call services.AddOutboxRelay<TDbContext>() in the service that writes the outbox."));
}
