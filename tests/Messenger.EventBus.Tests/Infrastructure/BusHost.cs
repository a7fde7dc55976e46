using Messenger.Contracts;
using Messenger.EventBus.Outbox;
using Messenger.EventBus.Transport;
using Messenger.ServiceDefaults.Redis;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messenger.EventBus.Tests.Infrastructure;

/// <summary>A service process in miniature: the event bus wired the way a messenger service wires it.</summary>
public sealed class BusHost : IAsyncDisposable
{
    private readonly IHost host;
    private readonly TestOutputLoggerProvider log;

    private BusHost(IHost host, TestOutputLoggerProvider log)
    {
        this.host = host;
        this.log = log;
    }

    /// <summary>Every warning and error the host logged.</summary>
    public IEnumerable<string> Warnings => log.Warnings;

    public IServiceProvider Services => host.Services;

    public IEventPublisherTransport Publisher => Services.GetRequiredService<IEventPublisherTransport>();

    /// <summary>Starts a host on <paramref name="environment"/>'s event log; with a database it also runs the outbox relay.</summary>
    public static async Task<BusHost> StartAsync(
        TransportEnvironment environment,
        Probe probe,
        Action<IServiceCollection> configure,
        string? database = null,
        IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "Messenger.EventBus.Tests",
            DisableDefaults = true,
        });
        builder.Configuration.AddInMemoryCollection(environment.Settings);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        var log = new TestOutputLoggerProvider(TestContext.Current.TestOutputHelper);
        builder.Logging.AddProvider(log);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        if (environment.Name == EventBusTransports.Redis)
        {
            builder.AddMessengerRedis();
        }

        builder.AddEventBus();
        builder.Services.AddSingleton(probe);
        if (database is not null)
        {
            builder.Services.AddDbContext<TestDbContext>((sp, options) => options.UseNpgsql(database).AddOutboxInterceptor(sp));
            builder.Services.AddOutboxRelay<TestDbContext>();
        }

        configure(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new BusHost(host, log);
    }

    /// <summary>Publishes straight to the event log, as the relay would.</summary>
    public Task PublishAsync(params TransportMessage[] messages) => Publisher.PublishAsync(messages, TestContext.Current.CancellationToken);

    public static TransportMessage Message<TEvent>(TEvent @event, DateTimeOffset? occurredAt = null) where TEvent : IIntegrationEvent
    {
        var row = OutboxWriter.CreateRow(@event, occurredAt);
        return new TransportMessage(row.Topic, row.Key, row.EventId, row.Type, row.Payload);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await host.StopAsync(CancellationToken.None);
        }
        finally
        {
            host.Dispose();
        }
    }
}
