using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Messenger.EventBus.Tests.Infrastructure;
using Messenger.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messenger.EventBus.Tests;

/// <summary>A misconfigured service fails at start-up and says what to set.</summary>
public sealed class EventBusConfigurationTests(TestServers servers)
{
    [Fact]
    public async Task Unknown_transport_fails_start_naming_the_setting_and_its_choices()
    {
        using var host = Build(new() { ["EventBus:Transport"] = "rabbitmq" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("EventBus:Transport is 'rabbitmq'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'redis'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'kafka'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kafka_transport_without_bootstrap_servers_fails_start()
    {
        using var host = Build(new() { ["EventBus:Transport"] = "kafka" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("EventBus:Kafka:BootstrapServers is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_positive_retry_settings_fail_start()
    {
        using var host = Build(new() { ["EventBus:Consumer:MaxAttempts"] = "0", ["EventBus:Redis:PollInterval"] = "00:00:00" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("EventBus:Consumer:MaxAttempts must be greater than zero", error.Message, StringComparison.Ordinal);
        Assert.Contains("EventBus:Redis:PollInterval must be a positive time span", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redis_transport_without_a_Redis_connection_fails_start_saying_how_to_add_one()
    {
        using var host = Build(new() { ["EventBus:Transport"] = "redis" },
            services => services.AddEventConsumer("notification").Handle<Pinged, PingHandler>());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("AddMessengerRedis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Marking_an_event_processed_outside_a_transaction_is_refused()
    {
        var database = await TestDbContext.CreateDatabaseAsync(servers.Postgres);
        await using var db = TestDbContext.Open(database);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            db.TryMarkProcessedAsync(Guid.CreateVersion7(), "notification", TestContext.Current.CancellationToken));

        Assert.Contains("inside the transaction", error.Message, StringComparison.Ordinal);
    }

    private static IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddEventBus();
        builder.Services.AddSingleton(new Probe());
        configure?.Invoke(builder.Services);
        return builder.Build();
    }
}
