using Messenger.Contracts.Users;

namespace User.Api.Domain;

/// <summary>What a profile's fields may hold. Lengths count characters (Unicode scalars), as PostgreSQL does.</summary>
public static class ProfileRules
{
    public const int DisplayNameMaxLength = 64;
    public const int BioMaxLength = 500;
    public const int AvatarUrlMaxLength = 2048;
    public const int SearchQueryMaxLength = 64;

    /// <summary>Usernames are lower-case in Auth; <c>/user/Alice</c> finds <c>alice</c>.</summary>
    public static string NormalizeUsername(string username) => username.Trim().ToLowerInvariant();

    public static string SearchKey(string text) => text.Trim().ToLowerInvariant();

    public static string? CheckDisplayName(string? displayName) => displayName switch
    {
        null => null,
        _ when string.IsNullOrWhiteSpace(displayName) => "A display name cannot be blank.",
        _ when Length(displayName.Trim()) > DisplayNameMaxLength => $"A display name has 1 to {DisplayNameMaxLength} characters.",
        _ when displayName.Any(char.IsControl) => "A display name cannot contain control characters.",
        _ => null,
    };

    public static string? CheckBio(string? bio) => bio switch
    {
        null => null,
        _ when Length(bio.Trim()) > BioMaxLength => $"A bio has at most {BioMaxLength} characters.",
        _ when bio.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')) => "A bio cannot contain control characters other than line breaks and tabs.",
        _ => null,
    };

    /// <summary>An empty string clears the avatar; anything else must be an absolute http(s) URL.</summary>
    public static string? CheckAvatarUrl(string? avatarUrl)
    {
        if (string.IsNullOrEmpty(avatarUrl))
        {
            return null;
        }

        if (avatarUrl.Length > AvatarUrlMaxLength)
        {
            return $"An avatar URL has at most {AvatarUrlMaxLength} characters.";
        }

        return Uri.TryCreate(avatarUrl.Trim(), UriKind.Absolute, out var uri)
            && uri.Scheme is "http" or "https"
            && !string.IsNullOrEmpty(uri.Host)
            && string.IsNullOrEmpty(uri.UserInfo)
                ? null
                : "An avatar URL is an absolute http:// or https:// URL.";
    }

    public static string? CheckAudience(Audience? audience, bool friendsAllowed) => audience switch
    {
        null => null,
        { } value when !Enum.IsDefined(value) => "The audience is one of everyone, friendsOfFriends, friends, nobody.",
        Audience.Friends when !friendsAllowed => "Friends are already friends: choose everyone, friendsOfFriends or nobody.",
        _ => null,
    };

    /// <summary>Trims, and turns an empty value into "not set".</summary>
    public static string? Optional(string value) => value.Trim() is { Length: > 0 } trimmed ? trimmed : null;

    /// <summary>A search query folded like <see cref="Data.Profile.SearchName"/>; a leading <c>@</c> (as in "@alice") is ignored.</summary>
    public static string NormalizeQuery(string query) => SearchKey(query).TrimStart('@').Trim();

    public static int Length(string value) => value.EnumerateRunes().Count();

    public static string Truncate(string value, int maxLength) =>
        Length(value) <= maxLength ? value : string.Concat(value.EnumerateRunes().Take(maxLength).Select(r => r.ToString()));

    internal static void AddError(Dictionary<string, string[]> errors, string field, string? error)
    {
        if (error is not null)
        {
            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, error] : [error];
        }
    }
}
