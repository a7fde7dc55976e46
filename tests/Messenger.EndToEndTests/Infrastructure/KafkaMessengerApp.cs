using Messenger.Testing.Services;

namespace Messenger.EndToEndTests.Infrastructure;

/// <summary>
/// The whole messenger as the app host starts it, with Kafka as the event log instead of Redis
/// Streams: librdkafka's Kafka-protocol broker runs in this test process, holding every messenger
/// topic, and the services (separate processes) reach it over loopback TCP.
/// </summary>
public sealed class KafkaMessengerApp : IAsyncLifetime
{
    private readonly TestEventLog eventLog = TestEventLog.Kafka();
    private MessengerApp? messenger;

    public MessengerApp Messenger => messenger ?? throw new InvalidOperationException("The messenger has not started.");

    /// <summary>Where the broker listens, for a test that reads a topic itself.</summary>
    public string BootstrapServers => eventLog.Broker!.BootstrapServers;

    public async ValueTask InitializeAsync()
    {
        messenger = new MessengerApp { Arguments = [.. eventLog.Settings.Select(s => $"--Messenger:{s.Key}={s.Value}")] };
        await messenger.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (messenger is not null)
        {
            await messenger.DisposeAsync();
        }

        eventLog.Dispose();
    }
}
