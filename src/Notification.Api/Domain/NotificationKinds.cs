namespace Notification.Api.Domain;

/// <summary>The <c>kind</c> of a notification and what its <c>data</c> holds.</summary>
public static class NotificationKinds
{
    /// <summary>Someone asked to be friends: <c>{requestId, fromUserId, fromUsername}</c>.</summary>
    public const string FriendRequest = "friend_request";

    /// <summary>Someone accepted the user's request: <c>{requestId, friendId, friendUsername}</c>.</summary>
    public const string FriendAccepted = "friend_accepted";

    /// <summary>
    /// Unread messages of one conversation, grouped: <c>{conversationId, conversationType, title, count,
    /// senders (most recent first), lastPreview, firstSeq, lastSeq}</c>.
    /// </summary>
    public const string Messages = "messages";

    public static string ConversationSubject(Guid conversationId) => $"conversation:{conversationId}";

    public static string FriendRequestSubject(Guid requestId) => $"friend_request:{requestId}";

    public static string FriendAcceptedSubject(Guid requestId) => $"friend_accepted:{requestId}";
}
