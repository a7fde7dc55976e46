namespace Messenger.EventBus.Transport;

/// <summary>Reads the event log as a member of a consumer group.</summary>
public interface IEventConsumerTransport
{
    /// <summary>
    /// Joins <paramref name="group"/> on <paramref name="topics"/> and calls <paramref name="onMessage"/> for each
    /// message, one at a time per stream or partition, until <paramref name="cancellationToken"/> is cancelled.
    /// A message is acknowledged (XACK, offset commit) only after its callback completed; if the callback
    /// throws or is cancelled, the message stays unacknowledged and is delivered again, to this consumer
    /// after a pause or to another member of the group.
    /// </summary>
    Task RunAsync(
        string group,
        IReadOnlyCollection<string> topics,
        Func<ReceivedMessage, CancellationToken, Task> onMessage,
        CancellationToken cancellationToken);
}
