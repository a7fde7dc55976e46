using System.Collections.Concurrent;
using Messenger.Contracts;
using Messenger.EventBus.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Messenger.EventBus.Tests.Infrastructure;

/// <summary>Reads a dead-letter topic the way an operator's tool would: as its own consumer group.</summary>
public sealed class DeadLetterReader : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task reading;

    private DeadLetterReader(IEventConsumerTransport transport, string topic) =>
        reading = transport.RunAsync("dead-letter-reader", [Topics.DeadLetter(topic)], (messages, _) =>
        {
            foreach (var message in messages)
            {
                Messages.Enqueue(message);
            }

            return Task.CompletedTask;
        }, stop.Token);

    public ConcurrentQueue<ReceivedMessage> Messages { get; } = new();

    public static DeadLetterReader Start(BusHost host, string topic) =>
        new(host.Services.GetRequiredService<IEventConsumerTransport>(), topic);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await reading;
        stop.Dispose();
    }
}
