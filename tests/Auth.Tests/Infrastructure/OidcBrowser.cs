using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;

namespace Auth.Tests.Infrastructure;

/// <summary>What a browser and the web client do before calling POST /oauth: PKCE, the authorization request, the redirect.</summary>
public static class OidcBrowser
{
    public sealed record AuthorizationCode(string Code, string CodeVerifier, string Nonce);

    public static async Task<AuthorizationCode> AuthorizeAsync(TestOidcProvider provider, string loginHint, string? nonce = null)
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        nonce ??= Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        var state = Guid.NewGuid().ToString("N");

        var url = QueryHelpers.AddQueryString(new Uri(provider.Authority, "connect/authorize").ToString(), new Dictionary<string, string?>
        {
            ["client_id"] = TestOidcProvider.ClientId,
            ["redirect_uri"] = TestOidcProvider.RedirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid email profile",
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = state,
            ["nonce"] = nonce,
            ["login_hint"] = loginHint,
        });
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await browser.GetAsync(url);
        var location = response.Headers.Location ?? throw new InvalidOperationException(
            $"The provider answered {(int)response.StatusCode} instead of redirecting: {await response.Content.ReadAsStringAsync()}");
        Assert.StartsWith(TestOidcProvider.RedirectUri, location.ToString(), StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(state, query["state"].ToString());
        return new AuthorizationCode(query["code"].ToString(), verifier, nonce);
    }
}
