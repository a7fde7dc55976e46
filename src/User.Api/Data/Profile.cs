using Messenger.Contracts.Users;
using User.Api.Domain;

namespace User.Api.Data;

/// <summary>A user's profile. Created from Auth's <c>UserRegistered</c>; the username never changes.</summary>
public sealed class Profile
{
    private string displayName = "";

    public Guid UserId { get; set; }

    /// <summary>Lower-case, as Auth stores it.</summary>
    public required string Username { get; set; }

    public required string DisplayName
    {
        get => displayName;
        set
        {
            displayName = value;
            SearchName = ProfileRules.SearchKey(value);
        }
    }

    /// <summary>The display name folded for matching (lower case), kept beside it so search is index-backed in any database locale.</summary>
    public string SearchName { get; private set; } = "";

    public string? Bio { get; set; }

    public string? AvatarUrl { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public Audience SearchableBy { get; set; } = PrivacySettings.Default.SearchableBy;

    public Audience FriendRequestsFrom { get; set; } = PrivacySettings.Default.FriendRequestsFrom;

    public Audience FriendListVisibleTo { get; set; } = PrivacySettings.Default.FriendListVisibleTo;

    public PrivacySettings Privacy => new(SearchableBy, FriendRequestsFrom, FriendListVisibleTo);
}
