using System.Net.Mail;
using System.Text.RegularExpressions;

namespace Auth.Api.Domain;

/// <summary>What a username, password and e-mail must look like. Errors are keyed by field name.</summary>
public static partial class AccountRules
{
    public const int UsernameMinLength = 3;
    public const int UsernameMaxLength = 32;
    public const int PasswordMinLength = 8;

    // Long enough for any passphrase, short enough that hashing it cannot be used to burn CPU.
    public const int PasswordMaxLength = 128;
    public const int DisplayNameMaxLength = 64;
    public const int EmailMaxLength = 254;

    /// <summary>Usernames compare case-insensitively, so they are stored lower-case.</summary>
    public static string NormalizeUsername(string username) => username.Trim().ToLowerInvariant();

    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    public static string? CheckUsername(string? username)
    {
        if (string.IsNullOrWhiteSpace(username))
        {
            return "A username is required.";
        }

        var normalized = NormalizeUsername(username);
        if (normalized.Length is < UsernameMinLength or > UsernameMaxLength)
        {
            return $"A username has {UsernameMinLength} to {UsernameMaxLength} characters.";
        }

        if (!UsernamePattern().IsMatch(normalized))
        {
            return "A username may contain only letters a-z, digits, '_' and '.'.";
        }

        return ReservedUsernames.Contains(normalized) ? $"The username '{normalized}' is reserved." : null;
    }

    // Names that are routes under /user/ (a profile there could never be reached) or that could
    // pass for the messenger itself.
    private static readonly HashSet<string> ReservedUsernames = new(StringComparer.Ordinal)
    {
        "search", "blocked", "internal", "me", "admin", "administrator", "root", "system", "support",
        "messenger", "help", "security", "api", "null", "undefined",
    };

    public static string? CheckPassword(string? password, string? username)
    {
        if (string.IsNullOrEmpty(password))
        {
            return "A password is required.";
        }

        if (password.Length < PasswordMinLength)
        {
            return $"A password has at least {PasswordMinLength} characters.";
        }

        if (password.Length > PasswordMaxLength)
        {
            return $"A password has at most {PasswordMaxLength} characters.";
        }

        if (password.Distinct().Count() < 4)
        {
            return "The password repeats too few different characters.";
        }

        if (username is not null && password.Contains(NormalizeUsername(username), StringComparison.OrdinalIgnoreCase))
        {
            return "The password must not contain the username.";
        }

        return CommonPasswords.Contains(password) ? "This password is among the most common ones." : null;
    }

    public static string? CheckEmail(string? email)
    {
        if (email is null)
        {
            return null;
        }

        var trimmed = email.Trim();
        if (trimmed.Length is 0 or > EmailMaxLength
            || !MailAddress.TryCreate(trimmed, out var address)
            || address.Address != trimmed
            || !address.Host.Contains('.', StringComparison.Ordinal))
        {
            return "The e-mail address is not valid.";
        }

        return null;
    }

    public static string? CheckDisplayName(string? displayName) => displayName switch
    {
        null => null,
        _ when string.IsNullOrWhiteSpace(displayName) => "A display name cannot be blank.",
        _ when displayName.Length > DisplayNameMaxLength => $"A display name has at most {DisplayNameMaxLength} characters.",
        _ when displayName.Any(char.IsControl) => "A display name cannot contain control characters.",
        _ => null,
    };

    /// <summary>
    /// Turns a provider's preferred username or e-mail into a valid username stem
    /// (the caller appends digits when it is taken).
    /// </summary>
    public static string UsernameStemFrom(string? preferred)
    {
        var source = (preferred ?? "").Split('@')[0].ToLowerInvariant();
        var stem = new string(source.Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.').ToArray());
        if (stem.Length < UsernameMinLength || ReservedUsernames.Contains(stem))
        {
            stem = "user" + stem;
        }

        return stem.Length > UsernameMaxLength - 4 ? stem[..(UsernameMaxLength - 4)] : stem;
    }

    [GeneratedRegex("^[a-z0-9_.]+$", RegexOptions.CultureInvariant)]
    private static partial Regex UsernamePattern();

    // The most common passwords of public breach corpora that pass the length rule.
    private static readonly HashSet<string> CommonPasswords = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwertyuiop",
        "qwerty123", "iloveyou", "sunshine", "princess", "football", "baseball", "welcome1", "admin123",
        "abc12345", "11111111", "00000000", "1q2w3e4r", "1qaz2wsx", "zaq12wsx", "passw0rd", "trustno1",
        "letmein1", "starwars", "whatever", "superman", "michelle", "jennifer", "computer", "internet",
        "dragon12", "monkey12", "shadow12", "master12", "qwertyui", "asdfghjk", "zxcvbnm1", "11223344",
        "87654321", "123123123", "password!", "changeme", "secret123", "messenger",
    };
}
