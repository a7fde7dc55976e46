using Auth.Api.Data;
using Auth.Api.OAuth;
using Auth.Api.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Auth.Api.Api;

/// <summary>Sign-in with an OpenID Connect provider (authorization code + PKCE).</summary>
public static class OAuthApi
{
    public static IEndpointRouteBuilder MapOAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/oauth", SignIn).AllowAnonymous().WithTags("OAuth")
            .WithSummary("Redeems an authorization code from a configured provider and signs the user in.");
        app.MapGet("/oauth/providers", Providers).AllowAnonymous().WithTags("OAuth")
            .WithSummary("The providers a client can offer, with what it needs to start the authorization request.");
        return app;
    }

    public sealed record OAuthRequest(string? Provider, string? Code, string? CodeVerifier, string? RedirectUri, string? Nonce);

    public sealed record ProviderView(string Name, string DisplayName, string AuthorizationEndpoint, string ClientId, string Scope);

    public sealed record ProviderList(IReadOnlyList<ProviderView> Items);

    internal static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> SignIn(
        OAuthRequest request,
        OidcClient oidc,
        ExternalAccounts externalAccounts,
        SessionService sessions,
        AuthDbContext db,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        AccountsApi.AddError(errors, "provider", string.IsNullOrWhiteSpace(request.Provider) ? "A provider is required."
            : oidc.Find(request.Provider) is null ? $"'{request.Provider}' is not a configured provider." : null);
        AccountsApi.AddError(errors, "code", string.IsNullOrWhiteSpace(request.Code) ? "An authorization code is required." : null);
        // RFC 7636 §4.1: 43 to 128 characters of the unreserved set.
        AccountsApi.AddError(errors, "codeVerifier", request.CodeVerifier is { Length: >= 43 and <= 128 } verifier
            && verifier.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')
                ? null
                : "A PKCE code verifier of 43 to 128 characters is required.");
        AccountsApi.AddError(errors, "redirectUri", Uri.TryCreate(request.RedirectUri, UriKind.Absolute, out _)
            ? null
            : "The redirect URI used in the authorization request is required.");
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The OAuth sign-in is not valid.");
        }

        var result = await oidc.RedeemAsync(
            request.Provider!,
            new AuthorizationCodeRedemption(request.Code!, request.CodeVerifier!, request.RedirectUri!, request.Nonce),
            cancellationToken);
        if (result.Identity is not { } identity)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "External sign-in refused", detail: result.Error);
        }

        for (var attempt = 1; ; attempt++)
        {
            var account = await externalAccounts.FindOrCreateAsync(identity, cancellationToken);
            var session = sessions.Begin(account, http);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return TypedResults.Ok(session.Issue());
            }
            catch (DbUpdateException ex) when (ex.IsUniqueViolation() && attempt < 3)
            {
                // A parallel first sign-in of the same person (or a username race) won: look again.
                db.ChangeTracker.Clear();
            }
        }
    }

    internal static async Task<Ok<ProviderList>> Providers(OidcClient oidc, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var items = new List<ProviderView>();
        foreach (var (name, provider) in oidc.Providers)
        {
            try
            {
                var discovery = await oidc.GetDiscoveryAsync(name, cancellationToken);
                items.Add(new ProviderView(name, provider.DisplayName ?? name, discovery.AuthorizationEndpoint, provider.ClientId, provider.Scope));
            }
            catch (InvalidOperationException ex)
            {
                // An unreachable provider is left out rather than hiding the others.
                loggers.CreateLogger(typeof(OAuthApi)).LogWarning(ex, "Discovery of provider {Provider} failed", name);
            }
        }

        return TypedResults.Ok(new ProviderList(items));
    }
}
