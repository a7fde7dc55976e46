using System.Diagnostics;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;
using Messenger.Testing.Services;
using Tokens = Messenger.Bench.Load.Tokens;

namespace Messenger.ReliabilityTests.Infrastructure;

/// <summary>
/// The messenger as real processes (Auth, Chat, two Notification instances; PostgreSQL and Redis from the test
/// harness), started by the benchmarks' harness so that kill -9 and server restarts are real, with
/// the load generator's users registered once. Each fault test opens its own conversations.
/// </summary>
public abstract class FaultSystem : IAsyncLifetime
{
    /// <summary>Users of the load: one conversation per pair.</summary>
    public const int Users = 100;

    private ProcessSampler? sampler;
    private MessengerSystem? system;
    private TestEventLog? eventLog;

    internal MessengerSystem System => system ?? throw new InvalidOperationException("The system is not running.");

    internal Tokens[] Accounts { get; private set; } = [];

    internal TimeSpan StartedIn { get; private set; }

    internal TimeSpan RegisteredIn { get; private set; }

    /// <summary>The Kafka broker of the Kafka profile; null on Redis Streams.</summary>
    internal TestEventLog? EventLog => eventLog;

    protected abstract int ChatInstances { get; }

    protected abstract TestEventLog? CreateEventLog();

    internal IReadOnlyList<Uri> ChatEndpoints => [.. System.Chats.Select(c => c.BaseAddress)];

    /// <summary>
    /// Events Chat has stored but not yet published (its outbox): while the event log is down they pile
    /// up, which shows an outage really stopped publishing.
    /// </summary>
    internal async Task<long> ChatEventsWaitingAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(System.Databases["chat"]);
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM outbox_messages", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    public async ValueTask InitializeAsync()
    {
        eventLog = CreateEventLog();
        sampler = new ProcessSampler();
        var clock = Stopwatch.StartNew();
        var spec = new SystemSpec
        {
            // Restarts here are of processes, not of the machine: the operating system keeps what PostgreSQL wrote.
            Durable = false,
            ChatInstances = ChatInstances,
            // Two Notification instances share the consumer group, as they would in production.
            NotificationInstances = 2,
            EventLog = eventLog,
            Configuration = BuildConfiguration,
        };
        foreach (var service in new[] { "auth", "chat", "notification" })
        {
            // Service logs line up with the test's own timeline when a scenario fails.
            spec.With(service, "Logging:Console:TimestampFormat", "HH:mm:ss.fff ");
        }

        system = await MessengerSystem.StartAsync(spec, sampler, Path.Combine(Path.GetTempPath(), "messenger-reliability", $"{GetType().Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}"));
        StartedIn = clock.Elapsed;
        Accounts = await MessengerClient.RegisterManyAsync(System.Auth.BaseAddress, Users, "fault", parallel: 8);
        RegisteredIn = clock.Elapsed - StartedIn;
    }

    public async ValueTask DisposeAsync()
    {
        if (system is not null)
        {
            await system.DisposeAsync();
        }

        if (sampler is not null)
        {
            await sampler.DisposeAsync();
        }

        // The services are gone, so the broker has no clients left.
        eventLog?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The services run from the build the tests were built with (the test command builds Debug).</summary>
    private static string BuildConfiguration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif
}

/// <summary>The single-node profile: event log on Redis Streams, two Chat instances.</summary>
public sealed class RedisStreamsSystem : FaultSystem
{
    protected override int ChatInstances => 2;

    protected override TestEventLog? CreateEventLog() => null;
}

/// <summary>The scale-out event log: Kafka on librdkafka's mock cluster in this process.</summary>
public sealed class KafkaSystem : FaultSystem
{
    protected override int ChatInstances => 1;

    protected override TestEventLog? CreateEventLog() => TestEventLog.Kafka();
}
