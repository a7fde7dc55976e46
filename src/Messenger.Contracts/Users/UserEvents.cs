namespace Messenger.Contracts.Users;

/// <summary>A profile's public fields changed (display name, bio, avatar).</summary>
public sealed record UserProfileUpdated(Guid UserId, string Username, string DisplayName, string? Bio, string? AvatarUrl, DateTimeOffset UpdatedAt)
    : IIntegrationEvent
{
    public static string EventType => "UserProfileUpdated";
    public static string Topic => Topics.UserProfiles;
    public string PartitionKey => UserId.ToString();
}

/// <summary>
/// <see cref="BlockerId"/> blocked <see cref="BlockedId"/>: the blocked user can no longer send
/// friend requests or messages to the blocker. Keyed by the blocker so block/unblock stay ordered.
/// </summary>
public sealed record UserBlocked(Guid BlockerId, Guid BlockedId, DateTimeOffset BlockedAt) : IIntegrationEvent
{
    public static string EventType => "UserBlocked";
    public static string Topic => Topics.UserProfiles;
    public string PartitionKey => BlockerId.ToString();
}

public sealed record UserUnblocked(Guid BlockerId, Guid BlockedId, DateTimeOffset UnblockedAt) : IIntegrationEvent
{
    public static string EventType => "UserUnblocked";
    public static string Topic => Topics.UserProfiles;
    public string PartitionKey => BlockerId.ToString();
}
