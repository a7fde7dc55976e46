using System.Collections.Concurrent;
using Messenger.Contracts;
using Messenger.EventBus.Consumers;
using Microsoft.Extensions.DependencyInjection;

namespace Messenger.Testing.Events;

/// <summary>
/// Every event a service under test publishes, as another service would receive it: a consumer
/// group of its own reads the real event log (Redis Streams or Kafka) inside the service's host.
/// </summary>
/// <example>
/// <code>
/// var recorder = new EventRecorder();
/// app.TestServices = services => recorder.Subscribe(services).Record&lt;UserBlocked&gt;();
/// var blocked = await recorder.WaitForAsync&lt;UserBlocked&gt;(e => e.BlockerId == alice.UserId, "alice's block");
/// </code>
/// </example>
public sealed class EventRecorder
{
    public const string Group = "test-recorder";

    private readonly ConcurrentQueue<RecordedEvent> events = new();

    /// <summary>Registers the recorder and its consumer group in a service's container; add events with <see cref="EventRecorderExtensions.Record{TEvent}"/>.</summary>
    public EventConsumerBuilder Subscribe(IServiceCollection services)
    {
        services.AddSingleton(this);
        return services.AddEventConsumer(Group);
    }

    /// <summary>The events of type <typeparamref name="TEvent"/> received so far, in arrival order.</summary>
    public IReadOnlyList<EventContext<TEvent>> All<TEvent>() where TEvent : IIntegrationEvent =>
        [.. events.Select(e => e.Context).OfType<EventContext<TEvent>>()];

    /// <summary>Waits for the first event of type <typeparamref name="TEvent"/> that matches; fails the test after the deadline.</summary>
    public async Task<TEvent> WaitForAsync<TEvent>(Func<TEvent, bool> match, string what, TimeSpan? timeout = null)
        where TEvent : IIntegrationEvent
    {
        var found = await Eventually.GetAsync(
            () => Task.FromResult(All<TEvent>().Select(c => c.Event).Where(match).ToList()),
            matches => matches.Count > 0,
            what,
            timeout);
        return found[0];
    }

    internal void Add(object context) => events.Enqueue(new RecordedEvent(context));

    private sealed record RecordedEvent(object Context);
}

public static class EventRecorderExtensions
{
    public static EventConsumerBuilder Record<TEvent>(this EventConsumerBuilder builder) where TEvent : IIntegrationEvent =>
        builder.Handle<TEvent, RecordingHandler<TEvent>>();
}

internal sealed class RecordingHandler<TEvent>(EventRecorder recorder) : IEventHandler<TEvent> where TEvent : IIntegrationEvent
{
    public Task HandleAsync(EventContext<TEvent> context, CancellationToken cancellationToken)
    {
        recorder.Add(context);
        return Task.CompletedTask;
    }
}
