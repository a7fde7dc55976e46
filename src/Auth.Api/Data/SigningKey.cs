namespace Auth.Api.Data;

/// <summary>
/// An ES256 key pair that signs access tokens. Keys are published in the JWKS from creation
/// until every token they signed has expired, so rotation never invalidates a live token.
/// </summary>
public sealed class SigningKey
{
    public required string Id { get; set; }

    public required string Algorithm { get; set; }

    /// <summary>PKCS#8 private key. Only Auth reads this database.</summary>
    public required byte[] PrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The key signs new tokens from this moment (published earlier so caches learn it first).</summary>
    public DateTimeOffset ActivatesAt { get; set; }

    /// <summary>When a newer key took over signing; the key stays published a token lifetime longer.</summary>
    public DateTimeOffset? RetiredAt { get; set; }
}
