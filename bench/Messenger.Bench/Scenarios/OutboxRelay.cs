using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Reporting;
using Messenger.Contracts;
using Messenger.EventBus;
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

namespace Messenger.Bench.Scenarios;

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

/// <summary>
/// relay: the outbox relay's throughput end to end, on Redis Streams and on Kafka (librdkafka's mock
/// broker, in this process). Each run copies N events into an empty outbox, then starts a host with the
/// relay (500 rows per transaction) and one consumer group; published = rows published and deleted per
/// second until the outbox is empty, consumed = events handled per second until the last one arrived.
/// Median of several runs after a warm-up; every run checks each event arrived exactly once.
/// </summary>
internal static class OutboxRelay
{
    public static async Task RunAsync(BenchContext context)
    {
        var o = context.Options;
        var events = o.Int("events", 30_000, 10_000);
        var runs = o.Int("runs", 5, 3);
        var transports = o.Text("transports", "redis,kafka").Split(',', StringSplitOptions.TrimEntries);
        var report = context.NewReport("Outbox relay throughput");
        BenchContext.Say($"Starting PostgreSQL and Redis; {runs} runs of {events:N0} events per transport");
        await using var postgres = await PostgresServer.StartAsync(new PostgresServerOptions { Durable = context.Durable, Settings = SystemSpec.PostgresSettings });
        await using var redis = await RedisServer.StartAsync();
        var results = new List<RelayRun>();
        foreach (var transport in transports)
        {
            // One unmeasured run first, so JIT and connection set-up do not count.
            await RunAsync(transport, Math.Min(events, 2_000), postgres, redis);
            for (var run = 1; run <= runs; run++)
            {
                var result = await RunAsync(transport, events, postgres, redis);
                BenchContext.Say($"{transport} run {run}: published {result.PublishedPerSecond:N0}/s, consumed {result.ConsumedPerSecond:N0}/s");
                results.Add(result);
            }
        }

        report.Setup.Add(new SystemSpec { Durable = context.Durable }.DescribeDurability() + ".");
        report.Setup.Add("**Relay and consumer** run in this process (the event bus library as the services host it); Redis and PostgreSQL are separate " +
            "processes; the Kafka broker is librdkafka's mock cluster inside this process, so Kafka's numbers share the two cores with the relay and the consumer.");
        report.Paragraph($"Each run: {events:N0} events (~{results[0].PayloadBytes} B envelopes, {Keys} keys) are copied into an empty outbox in PostgreSQL, then a " +
            "host starts with the relay (500 rows per transaction) and one consumer group; *published* is rows published and deleted per second until the outbox " +
            "is empty, *consumed* is events handled per second until the last one arrived (both from the host's start). Median of " +
            $"{runs} runs after one warm-up; every run checks each event arrived exactly once.");
        report.Table(["transport", "published events/s", "consumed events/s", "drain time", "runs (published/s)"],
            results.GroupBy(r => r.Transport).Select(g => (IReadOnlyList<string>)[
                g.Key == "redis" ? "Redis Streams (redis-server)" : "Kafka (librdkafka mock broker)",
                Median(g.Select(r => r.PublishedPerSecond)).ToString("N0", CultureInfo.InvariantCulture),
                Median(g.Select(r => r.ConsumedPerSecond)).ToString("N0", CultureInfo.InvariantCulture),
                Median(g.Select(r => r.Consumed.TotalSeconds)).ToString("0.00", CultureInfo.InvariantCulture) + " s",
                string.Join(", ", g.Select(r => r.PublishedPerSecond.ToString("N0", CultureInfo.InvariantCulture)))]), "l");
        Charts.Bars(report, "relay.png", "Outbox relay: events per second (median)", "events/s",
            [.. results.GroupBy(r => r.Transport).SelectMany(g => new[] { ($"{g.Key} published", Median(g.Select(r => r.PublishedPerSecond))), ($"{g.Key} consumed", Median(g.Select(r => r.ConsumedPerSecond))) })]);
        report.Image("relay.png", "published and consumed events per second per transport");
        var redisMedian = results.Where(r => r.Transport == "redis").Select(r => r.PublishedPerSecond).DefaultIfEmpty(double.NaN);
        report.Json["headline"] = $"Redis Streams {Median(redisMedian):N0} events/s published";
        report.Json["runs"] = JsonSerializer.SerializeToNode(results.Select(r => new { r.Transport, r.Events, r.PublishedPerSecond, r.ConsumedPerSecond, PublishedSeconds = r.Published.TotalSeconds, ConsumedSeconds = r.Consumed.TotalSeconds }), Report.JsonOptions);
        await report.WriteAsync();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private const int Keys = 64;

    private static async Task<RelayRun> RunAsync(string transport, int events, PostgresServer postgres, RedisServer redis)
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
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "Messenger.Bench", DisableDefaults = true });
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
        var publishedAfter = Stopwatch.GetElapsedTime(start);
        await arrivals.AllArrived.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var consumedAfter = Stopwatch.GetElapsedTime(start);
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

internal sealed record RelayRun(string Transport, int Events, TimeSpan Published, TimeSpan Consumed, int PayloadBytes)
{
    public double PublishedPerSecond => Events / Published.TotalSeconds;

    public double ConsumedPerSecond => Events / Consumed.TotalSeconds;
}
