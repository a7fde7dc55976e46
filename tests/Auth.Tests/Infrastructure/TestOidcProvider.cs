using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Auth.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect provider on loopback, built with OpenIddict: discovery, JWKS, an
/// authorization endpoint that signs in the person named by <c>login_hint</c> (people are
/// registered with <see cref="AddPerson"/>) or, for a browser that names nobody,
/// <see cref="SignsInWithoutHint"/>, and a token endpoint enforcing PKCE.
/// </summary>
public sealed class TestOidcProvider : IAsyncDisposable
{
    public const string ClientId = "messenger-web";
    public const string RedirectUri = "http://localhost:8080/oauth/callback";

    private readonly WebApplication _app;
    private readonly Dictionary<string, Person> _people;

    private TestOidcProvider(WebApplication app, Dictionary<string, Person> people, Uri authority)
    {
        _app = app;
        _people = people;
        Authority = authority;
    }

    public Uri Authority { get; }

    /// <summary>Who the provider signs in when the request names nobody: the person at the provider's sign-in page.</summary>
    public Person? SignsInWithoutHint { get; set; }

    public sealed record Person(string Subject, string? Email, bool EmailVerified, string? PreferredUsername, string? Name);

    public void AddPerson(string loginHint, Person person)
    {
        lock (_people)
        {
            _people[loginHint] = person;
        }
    }

    /// <summary>Starts the provider on <paramref name="port"/> (any free one by default), accepting <paramref name="redirectUris"/> besides <see cref="RedirectUri"/>.</summary>
    public static async Task<TestOidcProvider> StartAsync(string databaseConnectionString, int port = 0, IEnumerable<Uri>? redirectUris = null)
    {
        var people = new Dictionary<string, Person>();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddDbContext<DbContext>(options =>
        {
            options.UseNpgsql(databaseConnectionString);
            options.UseOpenIddict();
        });
        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<DbContext>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                server.RegisterScopes(Scopes.OpenId, Scopes.Email, Scopes.Profile);
                server.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                server.DisableAccessTokenEncryption();
                server.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
            });

        var app = builder.Build();
        TestOidcProvider? provider = null;
        app.MapGet("/connect/authorize", (HttpContext http) => Authorize(http, people, provider!.SignsInWithoutHint));

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DbContext>().Database.EnsureCreatedAsync();
            var client = new OpenIddictApplicationDescriptor
            {
                ClientId = ClientId,
                ClientType = ClientTypes.Public,
                RedirectUris = { new Uri(RedirectUri) },
                Permissions =
                {
                    Permissions.Endpoints.Authorization,
                    Permissions.Endpoints.Token,
                    Permissions.GrantTypes.AuthorizationCode,
                    Permissions.ResponseTypes.Code,
                    Permissions.Scopes.Email,
                    Permissions.Scopes.Profile,
                },
                Requirements = { Requirements.Features.ProofKeyForCodeExchange },
            };
            foreach (var uri in redirectUris ?? [])
            {
                client.RedirectUris.Add(uri);
            }

            await scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>().CreateAsync(client);
        }

        await app.StartAsync();
        var address = app.Urls.First();
        provider = new TestOidcProvider(app, people, new Uri(address));
        return provider;
    }

    private static IResult Authorize(HttpContext http, Dictionary<string, Person> people, Person? withoutHint)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        Person? person;
        lock (people)
        {
            people.TryGetValue(request.LoginHint ?? "", out person);
        }

        person ??= string.IsNullOrEmpty(request.LoginHint) ? withoutHint : null;

        if (person is null)
        {
            return Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, person.Subject);
        identity.SetClaim(Claims.Email, person.Email);
        identity.SetClaim(Claims.EmailVerified, person.EmailVerified);
        identity.SetClaim(Claims.PreferredUsername, person.PreferredUsername);
        identity.SetClaim(Claims.Name, person.Name);
        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(_ => [Destinations.IdentityToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
