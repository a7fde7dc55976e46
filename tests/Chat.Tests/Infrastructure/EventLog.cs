using System.Collections.Concurrent;
using Messenger.Contracts;
using Messenger.EventBus.Transport;
using Messenger.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Tests.Infrastructure;

/// <summary>Reads a topic of the event log from the start, as a consumer group of its own would.</summary>
public sealed class EventLog : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task reading;

    private EventLog(IEventConsumerTransport transport, string topic) =>
        reading = transport.RunAsync("test-reader-" + Guid.NewGuid().ToString("N")[..8], [topic], (messages, _) =>
        {
            foreach (var message in messages)
            {
                Events.Enqueue((message.Key, EventEnvelope.Parse(message.Body.Span)));
            }

            return Task.CompletedTask;
        }, stop.Token);

    public ConcurrentQueue<(string Key, EventEnvelope Envelope)> Events { get; } = new();

    public static EventLog Read(ChatApp chat, string topic) => new(chat.Services.GetRequiredService<IEventConsumerTransport>(), topic);

    /// <summary>Waits for the first event of <typeparamref name="TEvent"/> that matches.</summary>
    public async Task<(string Key, Guid EventId, TEvent Event)> WaitForAsync<TEvent>(Func<TEvent, bool> match) where TEvent : IIntegrationEvent
    {
        (string Key, Guid EventId, TEvent Event)? found = null;
        await Eventually.UntilAsync(() =>
        {
            foreach (var (key, envelope) in Events)
            {
                if (envelope.Type == TEvent.EventType && envelope.GetData<TEvent>() is var data && match(data))
                {
                    found = (key, envelope.Id, data);
                    return true;
                }
            }

            return false;
        }, $"a {TEvent.EventType} event");
        return found!.Value;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await reading;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }
}
