namespace Auth.Api.Data;

/// <summary>
/// A single-use refresh token, stored only as its SHA-256 hash. Using it marks it used and
/// issues its successor; presenting a used token again means it was stolen, and revokes the session.
/// </summary>
public sealed class RefreshToken
{
    public Guid Id { get; set; }

    public Guid SessionId { get; set; }

    public Session Session { get; set; } = null!;

    public required byte[] TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }
}
