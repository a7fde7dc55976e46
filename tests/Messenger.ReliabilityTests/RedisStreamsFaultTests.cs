using Messenger.ReliabilityTests.Infrastructure;

namespace Messenger.ReliabilityTests;

/// <summary>
/// Faults of the single-node profile (event log on Redis Streams) under load, with two Chat
/// instances: after each, every acked message is in history exactly once in seq order, every
/// recipient has it, and every recipient's grouped notification counts it once.
/// </summary>
[Trait("Category", "reliability")]
public sealed class RedisStreamsFaultTests(RedisStreamsSystem system, ITestOutputHelper output) : IClassFixture<RedisStreamsSystem>
{
    private static readonly TimeSpan BrokerOutage = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Kill_9_of_one_of_two_chat_instances_loses_and_doubles_nothing_acked()
    {
        var counts = await FaultRun.RunAsync(system, "kill -9 of one of two Chat instances", async () =>
        {
            await system.System.KillServiceAsync("chat-2");
            // Its clients reconnect to the other instance and resync while it is down.
            await Task.Delay(TimeSpan.FromSeconds(10));
            await system.System.StartAgainAsync("chat-2");
        }, output);

        FaultRun.AssertExact(counts);
        Assert.True(counts.Reconnects >= FaultSystem.Users / 2, $"Only {counts.Reconnects} clients reconnected after their instance was killed.");
    }

    [Fact]
    public async Task Event_broker_down_30_seconds_on_Redis_Streams_loses_and_doubles_nothing()
    {
        long waitingAtTheEnd = 0;
        var counts = await FaultRun.RunAsync(system, "event broker (redis-server) down 30 s", async () =>
        {
            await system.System.Redis.StopAsync();
            await Task.Delay(BrokerOutage);
            waitingAtTheEnd = await system.ChatEventsWaitingAsync();
            await system.System.Redis.RestartAsync();
        }, output);

        output.WriteLine($"{waitingAtTheEnd} events waited in Chat's outbox when Redis came back.");
        FaultRun.AssertExact(counts);
        Assert.True(waitingAtTheEnd > 1_000, $"Only {waitingAtTheEnd} events waited in Chat's outbox when Redis came back: the outage did not stop publishing.");
    }

    [Fact]
    public async Task PostgreSQL_restart_loses_and_doubles_nothing_acked()
    {
        var counts = await FaultRun.RunAsync(system, "PostgreSQL restart", () => system.System.Postgres.RestartAsync(), output);

        FaultRun.AssertExact(counts);
    }

    [Fact]
    public async Task Redis_restart_loses_and_doubles_nothing_acked()
    {
        var counts = await FaultRun.RunAsync(system, "Redis restart", () => system.System.Redis.RestartAsync(), output);

        FaultRun.AssertExact(counts);
    }
}
