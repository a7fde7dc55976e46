using System.Collections.Concurrent;
using System.Diagnostics;
using Messenger.Contracts;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Outbox;
using Messenger.ServiceDefaults.Redis;
using Messenger.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Messenger.EventBus.Bench;

public sealed record BenchEvent(string Key, int Seq, string Text) : IIntegrationEvent
{
    public static string EventType => "BenchEvent";
    public static string Topic => "bench.events";
    public string PartitionKey => Key;
}

public sealed class BenchDbContext(DbContextOptions<BenchDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddOutbox();
}

/// <summary>Counts arrivals; remembers ids so a duplicate or a loss fails the run.</summary>
public sealed class Arrivals
{
    public ConcurrentDictionary<Guid, int> Seen { get; } = new();

    public TaskCompletionSource AllArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Expected { get; set; }

    public void Arrive(Guid eventId)
    {
        Seen.AddOrUpdate(eventId, 1, (_, n) => n + 1);
        if (Seen.Count == Expected)
        {
            AllArrived.TrySetResult();
        }
    }
}

public sealed class CountingHandler(Arrivals arrivals) : IEventHandler<BenchEvent>
{
    public Task HandleAsync(EventContext<BenchEvent> context, CancellationToken cancellationToken)
    {
        arrivals.Arrive(context.EventId);
        return Task.CompletedTask;
    }
}

internal static class RelayBenchmark
{
    private const int Keys = 64;

    public static async Task<RelayRun> RunAsync(string transport, int events, PostgresServer postgres, RedisServer redis)
    {
        var database = await postgres.CreateDatabaseAsync("bench");
        await using (var db = new BenchDbContext(new DbContextOptionsBuilder<BenchDbContext>().UseNpgsql(database).Options))
        {
            await db.Database.EnsureCreatedAsync();
        }

        var rows = Enumerable.Range(1, events)
            .Select(i => OutboxWriter.CreateRow(new BenchEvent("conversation-" + (i % Keys), i, "a message of about the size people send, for the benchmark")))
            .ToList();
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await OutboxWriter.CopyAsync(connection, rows, CancellationToken.None);
            await transaction.CommitAsync();
        }

        using var broker = transport == "kafka" ? KafkaTestBroker.Start() : null;
        broker?.CreateTopic(BenchEvent.Topic, partitions: 8);
        var arrivals = new Arrivals { Expected = events };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "EventBus.Bench", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventBus:Transport"] = transport,
            ["EventBus:Kafka:BootstrapServers"] = broker?.BootstrapServers,
            ["EventBus:Kafka:SessionTimeoutMs"] = "6000",
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Redis:KeyPrefix"] = TestServers.NewRedisPrefix(),
        });
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        if (transport == "redis")
        {
            builder.AddMessengerRedis();
        }

        builder.AddEventBus();
        builder.Services.AddSingleton(arrivals);
        builder.Services.AddDbContext<BenchDbContext>((sp, options) => options.UseNpgsql(database).AddOutboxInterceptor(sp));
        builder.Services.AddOutboxRelay<BenchDbContext>();
        builder.Services.AddEventConsumer("bench").Handle<BenchEvent, CountingHandler>();

        using var host = builder.Build();
        var start = Stopwatch.GetTimestamp();
        await host.StartAsync();
        var published = await WaitForEmptyOutboxAsync(database);
        var publishedAfter = Clock.Since(start);
        await arrivals.AllArrived.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var consumedAfter = Clock.Since(start);
        await host.StopAsync();

        if (!published || arrivals.Seen.Count != events || arrivals.Seen.Values.Any(n => n != 1))
        {
            throw new InvalidOperationException(
                $"{transport}: {arrivals.Seen.Count} of {events} events arrived, {arrivals.Seen.Values.Count(n => n > 1)} more than once.");
        }

        return new RelayRun(transport, events, publishedAfter, consumedAfter, rows[0].Payload.Length);
    }

    private static async Task<bool> WaitForEmptyOutboxAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT NOT EXISTS (SELECT 1 FROM outbox_messages)", connection);
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 300);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (await count.ExecuteScalarAsync() is true)
            {
                return true;
            }

            await Task.Delay(5);
        }

        return false;
    }
}
