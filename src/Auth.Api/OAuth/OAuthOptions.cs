using System.ComponentModel.DataAnnotations;

namespace Auth.Api.OAuth;

/// <summary>The OpenID Connect providers people may sign in with, by name (section <c>OAuth</c>).</summary>
public sealed class OAuthOptions
{
    public const string SectionName = "OAuth";

    public Dictionary<string, OidcProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class OidcProviderOptions
{
    /// <summary>The issuer URL; its <c>/.well-known/openid-configuration</c> is read.</summary>
    [Required]
    public string Authority { get; set; } = "";

    [Required]
    public string ClientId { get; set; } = "";

    /// <summary>Only for confidential clients; public clients rely on PKCE alone.</summary>
    public string? ClientSecret { get; set; }

    public string? DisplayName { get; set; }

    public string Scope { get; set; } = "openid profile email";

    /// <summary>Plain-HTTP discovery is allowed only for a provider on loopback in development.</summary>
    public bool RequireHttps { get; set; } = true;
}
