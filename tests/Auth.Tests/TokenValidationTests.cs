using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Auth.Api.Tokens;
using Auth.Tests.Infrastructure;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Auth.Tests;

/// <summary>
/// What every other service sees: tokens validated locally with Auth's published keys, and
/// sessions revoked in Auth refused everywhere.
/// </summary>
public sealed class TokenValidationTests(AuthApp auth) : IClassFixture<AuthApp>, IAsyncLifetime
{
    private ServiceLikeHost _service = null!;
    private readonly HttpClient _authClient = auth.CreateClient();

    public async ValueTask InitializeAsync() => _service = await ServiceLikeHost.StartAsync(auth);

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();

    private async Task<HttpStatusCode> WhoAmIStatusAsync(string? token)
    {
        using var response = await _service.CreateClient(token).GetAsync("/whoami", TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task The_discovery_document_names_the_host_it_was_asked_on_and_is_not_kept_by_shared_caches()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        request.Headers.Host = "auth.messenger.example";

        using var response = await _authClient.SendAsync(request, TestContext.Current.CancellationToken);

        var discovery = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("http://auth.messenger.example/.well-known/jwks.json", discovery.GetProperty("jwks_uri").GetString());
        Assert.True(response.Headers.CacheControl?.Private, "a shared cache could serve one host's document to another");
        Assert.Contains("Host", response.Headers.Vary);
    }

    [Fact]
    public async Task The_jwks_publishes_the_key_that_signed_the_tokens()
    {
        var tokens = await _authClient.RegisterAsync();

        var jwks = await _authClient.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", TestContext.Current.CancellationToken);
        var discovery = await _authClient.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", TestContext.Current.CancellationToken);

        var kid = new JsonWebToken(tokens.AccessToken).Kid;
        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray(), k => k.GetProperty("kid").GetString() == kid);
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.False(key.TryGetProperty("d", out _), "the private part must never be published");
        Assert.EndsWith("/.well-known/jwks.json", discovery.GetProperty("jwks_uri").GetString(), StringComparison.Ordinal);
        Assert.Equal("messenger", discovery.GetProperty("issuer").GetString());

        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.AccessToken, new TokenValidationParameters
        {
            ValidIssuer = "messenger",
            ValidAudience = "messenger",
            IssuerSigningKey = new JsonWebKey(key.GetRawText()),
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
    }

    [Fact]
    public async Task Another_service_accepts_a_valid_token_and_sees_the_user()
    {
        var tokens = await _authClient.RegisterAsync();

        var me = await _service.CreateClient(tokens.AccessToken).GetFromJsonAsync<JsonElement>("/whoami", TestContext.Current.CancellationToken);

        Assert.Equal(tokens.UserId, me.GetProperty("userId").GetGuid());
        Assert.Equal(tokens.Username, me.GetProperty("username").GetString());
        Assert.Equal(tokens.SessionId, me.GetProperty("sessionId").GetGuid());
    }

    [Fact]
    public async Task Another_service_refuses_a_token_once_its_session_is_logged_out()
    {
        var tokens = await _authClient.RegisterAsync();
        Assert.Equal(HttpStatusCode.OK, await WhoAmIStatusAsync(tokens.AccessToken));

        using var logout = await auth.CreateClient(tokens.AccessToken).PostAsync("/logout", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIStatusAsync(tokens.AccessToken));
    }

    [Fact]
    public async Task Another_service_refuses_requests_without_a_token()
    {
        using var response = await _service.CreateClient().GetAsync("/whoami", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<string> ForgedTokens => new()
    {
        "expired",
        "wrong issuer",
        "wrong audience",
        "no session",
        "unknown key",
        "alg none",
        "tampered payload",
    };

    [Theory]
    [MemberData(nameof(ForgedTokens))]
    public async Task Another_service_refuses_forged_or_expired_tokens(string forgery)
    {
        var tokens = await _authClient.RegisterAsync();
        var token = Forge(forgery, tokens);

        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIStatusAsync(token));
    }

    private string Forge(string forgery, Tokens tokens)
    {
        var realKey = auth.Services.GetRequiredService<SigningKeyRing>().Current;
        var now = DateTime.UtcNow;
        SecurityTokenDescriptor Descriptor(SigningCredentials? credentials = null) => new()
        {
            Issuer = "messenger",
            Audience = "messenger",
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(15),
            SigningCredentials = credentials ?? realKey,
            Subject = new ClaimsIdentity(
            [
                new Claim("sub", tokens.UserId.ToString()),
                new Claim("name", tokens.Username),
                new Claim("sid", tokens.SessionId.ToString()),
                new Claim("jti", Guid.NewGuid().ToString()),
            ]),
        };
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };

        switch (forgery)
        {
            case "expired":
                var expired = Descriptor();
                expired.IssuedAt = expired.NotBefore = now.AddHours(-2);
                expired.Expires = now.AddHours(-1);
                return handler.CreateToken(expired);
            case "wrong issuer":
                var issuer = Descriptor();
                issuer.Issuer = "https://evil.example";
                return handler.CreateToken(issuer);
            case "wrong audience":
                var audience = Descriptor();
                audience.Audience = "another-app";
                return handler.CreateToken(audience);
            case "no session":
                var noSession = Descriptor();
                noSession.Subject.RemoveClaim(noSession.Subject.FindFirst("sid"));
                return handler.CreateToken(noSession);
            case "unknown key":
                var stranger = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = realKey.Key.KeyId };
                return handler.CreateToken(Descriptor(new SigningCredentials(stranger, SecurityAlgorithms.EcdsaSha256)));
            case "alg none":
                var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
                return $"{header}.{tokens.AccessToken.Split('.')[1]}.";
            case "tampered payload":
                var parts = tokens.AccessToken.Split('.');
                var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(parts[1]))!;
                payload["sub"] = JsonSerializer.SerializeToElement(Guid.NewGuid().ToString());
                return $"{parts[0]}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(payload)))}.{parts[2]}";
            default:
                throw new ArgumentOutOfRangeException(nameof(forgery), forgery, null);
        }
    }
}
