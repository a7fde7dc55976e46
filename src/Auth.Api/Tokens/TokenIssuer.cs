using System.Security.Claims;
using System.Security.Cryptography;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Auth.Api.Tokens;

/// <summary>Creates access tokens (ES256 JWTs, DESIGN §2) and refresh tokens.</summary>
public sealed class TokenIssuer(SigningKeyRing keys, IOptions<JwtOptions> options, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public TimeSpan AccessTokenLifetime => options.Value.AccessTokenLifetime;

    public string CreateAccessToken(Guid userId, string username, Guid sessionId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var jwt = options.Value;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = jwt.Issuer,
            Audience = jwt.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + jwt.AccessTokenLifetime,
            SigningCredentials = keys.Current,
            Subject = new ClaimsIdentity(
            [
                new Claim(MessengerClaims.Subject, userId.ToString()),
                new Claim(MessengerClaims.Name, username),
                new Claim(MessengerClaims.SessionId, sessionId.ToString()),
                new Claim(MessengerClaims.TokenId, Guid.CreateVersion7().ToString()),
            ]),
        });
    }

    /// <summary>256 random bits, given to the client once; only the hash is stored.</summary>
    public static string CreateRefreshToken() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static byte[] HashRefreshToken(string refreshToken) =>
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(refreshToken));
}
