using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Messenger.EventBus.Diagnostics;

/// <summary>The event bus's traces and metrics (picked up by the service defaults' <c>Messenger.*</c> filters).</summary>
public static class EventBusTelemetry
{
    public const string Name = "Messenger.EventBus";

    internal static readonly ActivitySource ActivitySource = new(Name);

    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> OutboxPublished = Meter.CreateCounter<long>(
        "messenger.eventbus.outbox.published", "{event}", "Outbox rows published to the event log and deleted.");

    internal static readonly Counter<long> OutboxFailures = Meter.CreateCounter<long>(
        "messenger.eventbus.outbox.failures", "{attempt}", "Relay attempts that failed and were rolled back.");

    internal static readonly Histogram<double> OutboxLag = Meter.CreateHistogram<double>(
        "messenger.eventbus.outbox.lag", "s", "Time from an outbox row's insert to its publication.");

    internal static readonly Counter<long> Handled = Meter.CreateCounter<long>(
        "messenger.eventbus.consumer.handled", "{event}", "Events handled successfully.");

    internal static readonly Counter<long> HandlerFailures = Meter.CreateCounter<long>(
        "messenger.eventbus.consumer.failures", "{attempt}", "Handler attempts that threw.");

    internal static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>(
        "messenger.eventbus.consumer.dead_lettered", "{event}", "Messages parked in a dead-letter topic.");

    /// <summary>The current W3C trace context, to be carried with an event.</summary>
    internal static (string? TraceParent, string? TraceState) CurrentContext()
    {
        var activity = Activity.Current;
        return activity is null || activity.IdFormat != ActivityIdFormat.W3C
            ? (null, null)
            : (activity.Id, activity.TraceStateString);
    }

    /// <summary>One activity for events handled together, linked to the trace each event was published in.</summary>
    internal static Activity? StartConsumeBatch(string topic, string group, IEnumerable<IReadOnlyDictionary<string, string>> headers)
    {
        var links = new List<ActivityLink>();
        foreach (var eventHeaders in headers)
        {
            if (eventHeaders.TryGetValue(Transport.MessageHeaders.TraceParent, out var parent))
            {
                eventHeaders.TryGetValue(Transport.MessageHeaders.TraceState, out var state);
                if (ActivityContext.TryParse(parent, state, out var context))
                {
                    links.Add(new ActivityLink(context));
                }
            }
        }

        var activity = ActivitySource.StartActivity(topic + " process", ActivityKind.Consumer, default(ActivityContext), links: links);
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("messaging.consumer.group.name", group);
        return activity;
    }

    internal static Activity? StartConsume(string topic, string group, IReadOnlyDictionary<string, string> headers)
    {
        headers.TryGetValue(Transport.MessageHeaders.TraceParent, out var parent);
        headers.TryGetValue(Transport.MessageHeaders.TraceState, out var state);
        ActivityContext.TryParse(parent, state, out var parentContext);
        var activity = ActivitySource.StartActivity(topic + " process", ActivityKind.Consumer, parentContext);
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("messaging.consumer.group.name", group);
        return activity;
    }
}
