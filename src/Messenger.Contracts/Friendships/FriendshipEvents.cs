namespace Messenger.Contracts.Friendships;

/// <summary>Events of one pair of users share a key, so they are consumed in order.</summary>
public static class FriendshipKeys
{
    public static string Pair(Guid a, Guid b) => a.CompareTo(b) < 0 ? $"{a}:{b}" : $"{b}:{a}";
}

public sealed record FriendRequestSent(
    Guid RequestId, Guid FromUserId, string FromUsername, Guid ToUserId, string ToUsername, DateTimeOffset SentAt)
    : IIntegrationEvent
{
    public static string EventType => "FriendRequestSent";
    public static string Topic => Topics.Friendships;
    public string PartitionKey => FriendshipKeys.Pair(FromUserId, ToUserId);
}

/// <summary>The addressee accepted (or asked back, which accepts). The two users are now friends.</summary>
public sealed record FriendRequestAccepted(
    Guid RequestId, Guid FromUserId, string FromUsername, Guid ToUserId, string ToUsername, DateTimeOffset AcceptedAt)
    : IIntegrationEvent
{
    public static string EventType => "FriendRequestAccepted";
    public static string Topic => Topics.Friendships;
    public string PartitionKey => FriendshipKeys.Pair(FromUserId, ToUserId);
}

public sealed record FriendRequestRejected(Guid RequestId, Guid FromUserId, Guid ToUserId, DateTimeOffset RejectedAt)
    : IIntegrationEvent
{
    public static string EventType => "FriendRequestRejected";
    public static string Topic => Topics.Friendships;
    public string PartitionKey => FriendshipKeys.Pair(FromUserId, ToUserId);
}

/// <summary><see cref="UserId"/> ended the friendship with <see cref="FriendId"/>.</summary>
public sealed record FriendRemoved(Guid UserId, Guid FriendId, DateTimeOffset RemovedAt) : IIntegrationEvent
{
    public static string EventType => "FriendRemoved";
    public static string Topic => Topics.Friendships;
    public string PartitionKey => FriendshipKeys.Pair(UserId, FriendId);
}

/// <summary>
/// A pending request ended without an answer from the addressee: the sender withdrew it, or one of
/// the two blocked the other. <see cref="Reason"/> is <c>withdrawn</c> or <c>blocked</c>.
/// </summary>
public sealed record FriendRequestCancelled(Guid RequestId, Guid FromUserId, Guid ToUserId, string Reason, DateTimeOffset CancelledAt)
    : IIntegrationEvent
{
    public const string Withdrawn = "withdrawn";
    public const string Blocked = "blocked";

    public static string EventType => "FriendRequestCancelled";
    public static string Topic => Topics.Friendships;
    public string PartitionKey => FriendshipKeys.Pair(FromUserId, ToUserId);
}
