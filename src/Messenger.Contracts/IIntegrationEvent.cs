namespace Messenger.Contracts;

/// <summary>An event another service may consume. Its type name and version are its contract.</summary>
public interface IIntegrationEvent
{
    /// <summary>The <c>type</c> field of the envelope, e.g. <c>UserRegistered</c>.</summary>
    static abstract string EventType { get; }

    /// <summary>The contract version; bumped only for breaking changes (fields may be added freely).</summary>
    static virtual int Version => 1;

    /// <summary>The topic the event is published to.</summary>
    static abstract string Topic { get; }

    /// <summary>The partition key that orders events (a user id, a conversation id, a user pair).</summary>
    string PartitionKey { get; }
}
