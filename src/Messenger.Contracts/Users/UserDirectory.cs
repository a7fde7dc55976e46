namespace Messenger.Contracts.Users;

/// <summary>Who a privacy setting lets in. Wire values: <c>everyone</c>, <c>friendsOfFriends</c>, <c>friends</c>, <c>nobody</c>.</summary>
/// <remarks><see cref="FriendsOfFriends"/> includes friends; <see cref="Nobody"/> still lets the user themself in.</remarks>
public enum Audience
{
    Everyone,
    FriendsOfFriends,
    Friends,
    Nobody,
}

/// <summary>A user's privacy settings, owned by the User service.</summary>
/// <param name="SearchableBy">Who finds the user in <c>GET /user/search</c>.</param>
/// <param name="FriendRequestsFrom">Who may send the user a friend request.</param>
/// <param name="FriendListVisibleTo">Who may list the user's friends (<c>GET /friends/{userId}</c>).</param>
public sealed record PrivacySettings(Audience SearchableBy, Audience FriendRequestsFrom, Audience FriendListVisibleTo)
{
    public static PrivacySettings Default { get; } = new(Audience.Everyone, Audience.Everyone, Audience.Friends);
}

/// <summary>
/// What the User service's internal lookup (<c>GET /internal/users/…</c>) tells other services about
/// a user: enough to address them, show them and apply their privacy settings.
/// </summary>
public sealed record DirectoryEntry(Guid UserId, string Username, string DisplayName, string? AvatarUrl, PrivacySettings Privacy);

/// <summary>The answer of the batch lookup <c>GET /internal/users?ids=…</c>; unknown ids are left out.</summary>
public sealed record DirectoryEntryList(IReadOnlyList<DirectoryEntry> Items);
