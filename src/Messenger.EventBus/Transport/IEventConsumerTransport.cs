namespace Messenger.EventBus.Transport;

/// <summary>Reads the event log as a member of a consumer group.</summary>
public interface IEventConsumerTransport
{
    /// <summary>
    /// Joins <paramref name="group"/> on <paramref name="topics"/> and calls <paramref name="onMessages"/> with
    /// what it read at once (one message or more, in log order per stream or partition; one call at a
    /// time per stream, or per consumer for Kafka), until <paramref name="cancellationToken"/> is cancelled.
    /// The messages are acknowledged (XACK, offset commit) only after the callback completed; if the
    /// callback throws or is cancelled, none of them is, and they are delivered again, to this consumer
    /// after a pause or to another member of the group.
    /// </summary>
    Task RunAsync(
        string group,
        IReadOnlyCollection<string> topics,
        Func<IReadOnlyList<ReceivedMessage>, CancellationToken, Task> onMessages,
        CancellationToken cancellationToken);
}
