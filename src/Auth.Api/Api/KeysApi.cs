using Auth.Api.Tokens;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Auth.Api.Api;

/// <summary>
/// The public keys every service validates access tokens with, and the discovery document that
/// points to them (so services can use the standard JWT bearer handler's key refresh).
/// </summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var wellKnown = app.MapGroup("/.well-known").AllowAnonymous().WithTags("Keys");
        wellKnown.MapGet("/jwks.json", Jwks).WithSummary("The JSON Web Key Set of the access-token signing keys.");
        wellKnown.MapGet("/openid-configuration", Discovery).WithSummary("Issuer and JWKS location.");
        return app;
    }

    public sealed record JsonWebKeyView(string Kty, string Crv, string X, string Y, string Kid, string Alg, string Use);

    public sealed record JsonWebKeySetView(IReadOnlyList<JsonWebKeyView> Keys);

    internal static Ok<JsonWebKeySetView> Jwks(SigningKeyRing keys, HttpContext http)
    {
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(new JsonWebKeySetView(
            [.. keys.Published.Select(k => new JsonWebKeyView(k.Kty, k.Crv, k.X, k.Y, k.Kid, k.Alg, k.Use))]));
    }

    internal static IResult Discovery(IOptions<JwtOptions> jwt, HttpContext http)
    {
        var request = http.Request;
        var jwksUri = $"{request.Scheme}://{request.Host}{request.PathBase}/.well-known/jwks.json";
        // The document names the host it was asked on, so a shared cache must not hand it to others.
        http.Response.Headers.CacheControl = "private, max-age=300";
        http.Response.Headers.Vary = "Host";
        // OpenID metadata uses snake_case names, so this is written as a plain dictionary.
        return TypedResults.Json(new Dictionary<string, object>
        {
            ["issuer"] = jwt.Value.Issuer,
            ["jwks_uri"] = jwksUri,
            ["id_token_signing_alg_values_supported"] = new[] { SecurityAlgorithms.EcdsaSha256 },
        });
    }
}
