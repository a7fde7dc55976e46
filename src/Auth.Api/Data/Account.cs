namespace Auth.Api.Data;

/// <summary>A person's account. The username is stored normalized (lower case) and never changes.</summary>
public sealed class Account
{
    public Guid Id { get; set; }

    public required string Username { get; set; }

    /// <summary>Lower-cased; unique among accounts that have one.</summary>
    public string? Email { get; set; }

    public bool EmailVerified { get; set; }

    public string? DisplayName { get; set; }

    /// <summary>Null for accounts that only sign in through an external provider.</summary>
    public string? PasswordHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<ExternalLogin> ExternalLogins { get; } = [];
}
