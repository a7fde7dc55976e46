using System.ComponentModel.DataAnnotations;

namespace Messenger.ServiceDefaults.Authentication;

/// <summary>How access tokens are issued and checked (section <c>Jwt</c>).</summary>
public sealed class JwtOptions
{
    public const string SectionName = "Jwt";

    /// <summary>
    /// Base URL of the Auth service; its <c>/.well-known/openid-configuration</c> points to the
    /// JWKS. Services validate tokens locally with those keys and never call Auth per request.
    /// </summary>
    public string? Authority { get; set; }

    [Required]
    public string Issuer { get; set; } = "messenger";

    [Required]
    public string Audience { get; set; } = "messenger";

    /// <summary>Access token lifetime; also how long a revoked session id is remembered.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "01:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);
}
