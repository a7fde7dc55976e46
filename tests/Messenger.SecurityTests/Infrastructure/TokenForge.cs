using System.Security.Claims;
using System.Security.Cryptography;
using Auth.Api.Tokens;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Messenger.SecurityTests.Infrastructure;

/// <summary>The ways a bearer token can be wrong, each made from a real user's token or Auth's real signing key.</summary>
public enum TokenCase
{
    None,
    Expired,
    WrongSignature,
    AlgNone,
    OtherUser,
    RevokedSession,
    OtherIssuer,
    /// <summary>A valid token in <c>?access_token=</c> of a plain request (only WebSocket and SSE requests may carry it there).</summary>
    QueryOnPlainRequest,
}

/// <summary>Forges tokens with Auth's own signing key (or a stranger's key under its key id), as an attacker who got close would.</summary>
public sealed class TokenForge(ServiceApp<Auth.Api.IApiMarker> auth)
{
    private SigningCredentials RealKey => auth.Services.GetRequiredService<SigningKeyRing>().Current;

    /// <summary>Signed with Auth's real key, one hour past its expiry.</summary>
    public string Expired(Tokens of) => Create(of, RealKey, issuer: "messenger", expires: DateTime.UtcNow.AddHours(-1));

    /// <summary>The right header and claims, signed by a key Auth never had (under the real key's id).</summary>
    public string WrongSignature(Tokens of)
    {
        var stranger = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = RealKey.Key.KeyId };
        return Create(of, new SigningCredentials(stranger, SecurityAlgorithms.EcdsaSha256), issuer: "messenger", expires: DateTime.UtcNow.AddMinutes(15));
    }

    /// <summary>The user's real claims with <c>alg: none</c> and no signature.</summary>
    public static string AlgNone(Tokens of)
    {
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        return $"{header}.{of.AccessToken.Split('.')[1]}.";
    }

    /// <summary>Signed with Auth's real key, but by another issuer's name.</summary>
    public string OtherIssuer(Tokens of) => Create(of, RealKey, issuer: "https://issuer.example", expires: DateTime.UtcNow.AddMinutes(15));

    private static string Create(Tokens of, SigningCredentials credentials, string issuer, DateTime expires)
    {
        var issued = expires.AddMinutes(-15);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "messenger",
            IssuedAt = issued,
            NotBefore = issued,
            Expires = expires,
            SigningCredentials = credentials,
            Subject = new ClaimsIdentity(
            [
                new Claim("sub", of.UserId.ToString()),
                new Claim("name", of.Username),
                new Claim("sid", of.SessionId.ToString()),
                new Claim("jti", Guid.NewGuid().ToString()),
            ]),
        });
    }
}
