using Messenger.ReliabilityTests.Infrastructure;

namespace Messenger.ReliabilityTests;

/// <summary>The scale-out event log (Kafka on librdkafka's mock cluster) under a broker outage, under load.</summary>
[Trait("Category", "reliability")]
public sealed class KafkaFaultTests(KafkaSystem system, ITestOutputHelper output) : IClassFixture<KafkaSystem>
{
    private static readonly TimeSpan BrokerOutage = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Event_broker_down_30_seconds_on_Kafka_loses_and_doubles_nothing()
    {
        var broker = system.EventLog!.Broker!;
        long waitingAtTheEnd = 0;
        var counts = await FaultRun.RunAsync(system, "event broker (Kafka) down 30 s", async () =>
        {
            broker.SetBrokerDown(1);
            await Task.Delay(BrokerOutage);
            waitingAtTheEnd = await system.ChatEventsWaitingAsync();
            broker.SetBrokerUp(1);
        }, output);

        output.WriteLine($"{waitingAtTheEnd} events waited in Chat's outbox when the broker came back.");
        FaultRun.AssertExact(counts);
        Assert.True(waitingAtTheEnd > 1_000, $"Only {waitingAtTheEnd} events waited in Chat's outbox when the broker came back: the outage did not stop publishing.");
    }
}
