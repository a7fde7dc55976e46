using System.Collections.Concurrent;
using Messenger.EventBus.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Messenger.Testing.Events;

/// <summary>Replays a topic the way an operator would: every message on it is published again, byte for byte (same event ids).</summary>
public static class TopicReplay
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(750);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Reads <paramref name="topic"/> from its start with a throwaway consumer group through the
    /// transport of <paramref name="services"/> (a service host), until at least
    /// <paramref name="atLeast"/> messages were read and the topic stayed quiet for a moment, then
    /// publishes them all again in their order. Returns how many were replayed.
    /// </summary>
    public static async Task<int> ReplayAsync(IServiceProvider services, string topic, int atLeast, CancellationToken cancellationToken)
    {
        var consumer = services.GetRequiredService<IEventConsumerTransport>();
        var publisher = services.GetRequiredService<IEventPublisherTransport>();
        var read = new ConcurrentQueue<ReceivedMessage>();
        var lastRead = DateTime.UtcNow;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = consumer.RunAsync("replay-" + Guid.NewGuid().ToString("N"), [topic], (messages, _) =>
        {
            foreach (var message in messages)
            {
                read.Enqueue(message);
            }

            lastRead = DateTime.UtcNow;
            return Task.CompletedTask;
        }, stop.Token);

        var deadline = DateTime.UtcNow + Timeout;
        while (read.Count < atLeast || DateTime.UtcNow - lastRead < Quiet)
        {
            if (DateTime.UtcNow > deadline || reading.IsCompleted)
            {
                await stop.CancelAsync();
                throw new TimeoutException($"Read {read.Count} of at least {atLeast} messages of '{topic}' before giving up.");
            }

            await Task.Delay(50, cancellationToken);
        }

        await stop.CancelAsync();
        try
        {
            await reading;
        }
        catch (OperationCanceledException)
        {
        }

        var messages = read
            .Select(m => new TransportMessage(topic, m.Key, Guid.Parse(m.EventId!), m.Type ?? "", m.Body.ToArray()) { Headers = m.Headers })
            .ToList();
        await publisher.PublishAsync(messages, cancellationToken);
        return messages.Count;
    }
}
