using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Auth.Api.OAuth;

/// <summary>
/// The relying-party side of the authorization-code flow with PKCE: reads the provider's
/// discovery document, exchanges the code at its token endpoint and validates the ID token
/// (signature against the provider's JWKS, issuer, audience, lifetime, nonce).
/// </summary>
public sealed class OidcClient(IHttpClientFactory httpClients, IOptions<OAuthOptions> options, ILogger<OidcClient> logger)
{
    public const string HttpClientName = "oidc";

    private readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> _discovery = new(StringComparer.OrdinalIgnoreCase);
    private static readonly JsonWebTokenHandler IdTokenHandler = new() { MapInboundClaims = false };

    public OidcProviderOptions? Find(string provider) =>
        options.Value.Providers.TryGetValue(provider, out var found) ? found : null;

    public IReadOnlyDictionary<string, OidcProviderOptions> Providers => options.Value.Providers;

    public Task<OpenIdConnectConfiguration> GetDiscoveryAsync(string provider, CancellationToken cancellationToken) =>
        Discovery(provider).GetConfigurationAsync(cancellationToken);

    /// <summary>Exchanges the code; returns the validated identity, or the reason the provider or token was refused.</summary>
    public async Task<ExternalIdentityResult> RedeemAsync(string provider, AuthorizationCodeRedemption redemption, CancellationToken cancellationToken)
    {
        var settings = Find(provider) ?? throw new ArgumentException($"Unknown provider '{provider}'.", nameof(provider));
        OpenIdConnectConfiguration discovery;
        try
        {
            discovery = await GetDiscoveryAsync(provider, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            // The configuration manager wraps every failure to fetch or read the document in this.
            throw new HttpRequestException($"The discovery document of provider '{provider}' could not be read.", ex);
        }

        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = redemption.Code,
            ["redirect_uri"] = redemption.RedirectUri,
            ["code_verifier"] = redemption.CodeVerifier,
            ["client_id"] = settings.ClientId,
        };
        if (!string.IsNullOrEmpty(settings.ClientSecret))
        {
            form["client_secret"] = settings.ClientSecret;
        }

        using var response = await httpClients.CreateClient(HttpClientName)
            .PostAsync(discovery.TokenEndpoint, new FormUrlEncodedContent(form), cancellationToken);
        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized)
        {
            var error = await ReadErrorAsync(response, cancellationToken);
            logger.LogInformation("Provider {Provider} refused the authorization code: {Error}", provider, error);
            return ExternalIdentityResult.Refused($"The provider refused the authorization code ({error}).");
        }

        // Anything but an answer is the provider being unable to help now: HttpRequestException is a 503 with Retry-After.
        response.EnsureSuccessStatusCode();
        string? idToken;
        try
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            idToken = body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("id_token", out var idTokenElement)
                && idTokenElement.ValueKind == JsonValueKind.String
                    ? idTokenElement.GetString()
                    : null;
        }
        catch (JsonException ex)
        {
            throw new HttpRequestException($"Provider '{provider}' answered the code exchange with something that is not JSON.", ex);
        }

        if (string.IsNullOrEmpty(idToken))
        {
            return ExternalIdentityResult.Refused("The provider returned no ID token; is the 'openid' scope requested?");
        }

        var validation = await ValidateIdTokenAsync(provider, settings, discovery, idToken);
        if (!validation.IsValid)
        {
            logger.LogInformation(validation.Exception, "ID token from {Provider} failed validation", provider);
            return ExternalIdentityResult.Refused("The provider's ID token is not valid.");
        }

        var claims = validation.ClaimsIdentity;
        var nonce = claims.FindFirst("nonce")?.Value;
        if (!string.Equals(nonce, redemption.Nonce, StringComparison.Ordinal))
        {
            return ExternalIdentityResult.Refused("The ID token's nonce does not match the one sent with the authorization request.");
        }

        if (claims.FindFirst("sub")?.Value is not { Length: > 0 } subject)
        {
            return ExternalIdentityResult.Refused("The provider's ID token names no subject.");
        }

        return ExternalIdentityResult.Valid(new ExternalIdentity(
            provider.ToLowerInvariant(),
            subject,
            claims.FindFirst("email")?.Value,
            IsTrue(claims.FindFirst("email_verified")),
            claims.FindFirst("preferred_username")?.Value,
            claims.FindFirst("name")?.Value));
    }

    private async Task<TokenValidationResult> ValidateIdTokenAsync(
        string provider, OidcProviderOptions settings, OpenIdConnectConfiguration discovery, string idToken)
    {
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = discovery.Issuer,
            ValidAudience = settings.ClientId,
            IssuerSigningKeys = discovery.SigningKeys,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(1),
        };
        var result = await IdTokenHandler.ValidateTokenAsync(idToken, parameters);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider rotated its keys: read the JWKS again and retry once.
            Discovery(provider).RequestRefresh();
            parameters.IssuerSigningKeys = (await GetDiscoveryAsync(provider, CancellationToken.None)).SigningKeys;
            result = await IdTokenHandler.ValidateTokenAsync(idToken, parameters);
        }

        return result;
    }

    private ConfigurationManager<OpenIdConnectConfiguration> Discovery(string provider) =>
        _discovery.GetOrAdd(provider, name =>
        {
            var settings = Find(name) ?? throw new ArgumentException($"Unknown provider '{name}'.", nameof(provider));
            var address = settings.Authority.TrimEnd('/') + "/.well-known/openid-configuration";
            return new ConfigurationManager<OpenIdConnectConfiguration>(
                address,
                new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever(httpClients.CreateClient(HttpClientName)) { RequireHttps = settings.RequireHttps });
        });

    private static bool IsTrue(Claim? claim) =>
        claim is not null && (claim.Value == "true" || string.Equals(claim.Value, bool.TrueString, StringComparison.OrdinalIgnoreCase));

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var error = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return error.RootElement.TryGetProperty("error", out var code) ? code.GetString() ?? "error" : "error";
        }
        catch (JsonException)
        {
            return ((int)response.StatusCode).ToString();
        }
    }
}

public sealed record AuthorizationCodeRedemption(string Code, string CodeVerifier, string RedirectUri, string? Nonce);

public sealed record ExternalIdentity(string Provider, string Subject, string? Email, bool EmailVerified, string? PreferredUsername, string? Name);

public sealed record ExternalIdentityResult(ExternalIdentity? Identity, string? Error)
{
    public static ExternalIdentityResult Valid(ExternalIdentity identity) => new(identity, null);

    public static ExternalIdentityResult Refused(string error) => new(null, error);
}
