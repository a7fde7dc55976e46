namespace Auth.Api.Data;

/// <summary>A link from an OpenID Connect provider's subject to an account.</summary>
public sealed class ExternalLogin
{
    public required string Provider { get; set; }

    public required string Subject { get; set; }

    public Guid AccountId { get; set; }

    public Account Account { get; set; } = null!;

    public string? Email { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
