namespace Messenger.Contracts.Chat;

/// <summary>
/// Presence as Chat keeps it in Redis (names before the deployment's key prefix), read by
/// Notification to stay silent for people who are looking at the conversation.
/// </summary>
public static class PresenceKeys
{
    /// <summary>Present while the user has at least one live chat connection; the value is the number of connections; expires unless refreshed.</summary>
    public static string Online(Guid userId) => $"presence:online:{userId:N}";

    /// <summary>
    /// A set of the conversation ids the user has open in a focused window now (the client says
    /// so through its connection); expires unless refreshed.
    /// </summary>
    public static string Viewing(Guid userId) => $"presence:viewing:{userId:N}";

    /// <summary>Unix milliseconds of the user's last activity, kept after they go offline.</summary>
    public static string LastSeen(Guid userId) => $"presence:last-seen:{userId:N}";

    /// <summary>Channel on which presence changes are announced: JSON {userId, online, lastSeenAt}.</summary>
    public const string ChangesChannel = "presence:changes";
}
