using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Auth.Api.Tokens;

/// <summary>
/// Lets Auth validate its own access tokens with the key ring in memory instead of fetching
/// its own discovery document over HTTP.
/// </summary>
internal sealed class LocalSigningKeys(SigningKeyRing ring, string issuer) : IConfigurationManager<OpenIdConnectConfiguration>
{
    public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = issuer };
        foreach (var key in ring.Published)
        {
            configuration.SigningKeys.Add(key);
        }

        return Task.FromResult(configuration);
    }

    public void RequestRefresh()
    {
        // The ring reloads itself every maintenance interval.
    }
}
