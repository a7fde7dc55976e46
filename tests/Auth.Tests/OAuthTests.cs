using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auth.Tests.Infrastructure;
using Messenger.Testing.Services;
using Messenger.Testing;

namespace Auth.Tests;

/// <summary>Sign-in through a real OpenID Connect provider (OpenIddict on loopback).</summary>
public sealed class OAuthTests(OAuthTests.App app) : IClassFixture<OAuthTests.App>
{
    /// <summary>Auth configured with the local provider under the name "local".</summary>
    public sealed class App(TestServers servers) : AuthApp(servers)
    {
        public TestOidcProvider Provider { get; private set; } = null!;

        public override async ValueTask InitializeAsync()
        {
            Provider = await TestOidcProvider.StartAsync(await Servers.Postgres.CreateDatabaseAsync("oidc"));
            Settings["OAuth:Providers:local:Authority"] = Provider.Authority.ToString();
            Settings["OAuth:Providers:local:ClientId"] = TestOidcProvider.ClientId;
            Settings["OAuth:Providers:local:DisplayName"] = "Local ID";
            Settings["OAuth:Providers:local:RequireHttps"] = "false";
            // A provider that is down: nothing listens on its port.
            Settings["OAuth:Providers:down:Authority"] = $"http://127.0.0.1:{LoopbackPorts.Unused()}/";
            Settings["OAuth:Providers:down:ClientId"] = TestOidcProvider.ClientId;
            Settings["OAuth:Providers:down:RequireHttps"] = "false";
            await base.InitializeAsync();
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await Provider.DisposeAsync();
        }
    }

    private readonly HttpClient _client = app.CreateClient();

    private TestOidcProvider.Person NewPerson(bool emailVerified = true, string? email = null)
    {
        var name = AuthClient.NewUsername("oidc");
        var person = new TestOidcProvider.Person(Guid.NewGuid().ToString(), email ?? $"{name}@idp.example", emailVerified, name, "Olga Idp");
        app.Provider.AddPerson(person.Subject, person);
        return person;
    }

    private Task<HttpResponseMessage> SignInAsync(OidcBrowser.AuthorizationCode code, string? nonce = null, string? verifier = null) =>
        _client.PostAsJsonAsync("/oauth", new
        {
            provider = "local",
            code = code.Code,
            codeVerifier = verifier ?? code.CodeVerifier,
            redirectUri = TestOidcProvider.RedirectUri,
            nonce = nonce ?? code.Nonce,
        }, TestContext.Current.CancellationToken);

    [Fact]
    public async Task A_first_sign_in_creates_an_account_named_after_the_provider_profile()
    {
        var person = NewPerson();
        var code = await OidcBrowser.AuthorizeAsync(app.Provider, person.Subject);

        using var response = await SignInAsync(code);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = (await response.Content.ReadFromJsonAsync<Tokens>(TestContext.Current.CancellationToken))!;
        Assert.Equal(person.PreferredUsername, tokens.Username);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient(tokens.AccessToken).GetAsync("/sessions", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Signing_in_again_reaches_the_same_account()
    {
        var person = NewPerson();
        using var first = await SignInAsync(await OidcBrowser.AuthorizeAsync(app.Provider, person.Subject));
        using var second = await SignInAsync(await OidcBrowser.AuthorizeAsync(app.Provider, person.Subject));

        var a = (await first.Content.ReadFromJsonAsync<Tokens>(TestContext.Current.CancellationToken))!;
        var b = (await second.Content.ReadFromJsonAsync<Tokens>(TestContext.Current.CancellationToken))!;
        Assert.Equal(a.UserId, b.UserId);
        Assert.NotEqual(a.SessionId, b.SessionId);
    }

    [Fact]
    public async Task A_verified_email_links_to_the_existing_password_account()
    {
        var username = AuthClient.NewUsername();
        var existing = await _client.RegisterAsync(username, email: $"{username}@example.org");
        var person = NewPerson(emailVerified: true, email: $"{username}@EXAMPLE.org");

        using var response = await SignInAsync(await OidcBrowser.AuthorizeAsync(app.Provider, person.Subject));

        var tokens = (await response.Content.ReadFromJsonAsync<Tokens>(TestContext.Current.CancellationToken))!;
        Assert.Equal(existing.UserId, tokens.UserId);
        Assert.Equal(username, tokens.Username);
    }

    [Fact]
    public async Task An_unverified_email_never_takes_over_an_existing_account()
    {
        var username = AuthClient.NewUsername();
        var existing = await _client.RegisterAsync(username, email: $"{username}@example.org");
        var person = NewPerson(emailVerified: false, email: $"{username}@example.org");

        using var response = await SignInAsync(await OidcBrowser.AuthorizeAsync(app.Provider, person.Subject));

        var tokens = (await response.Content.ReadFromJsonAsync<Tokens>(TestContext.Current.CancellationToken))!;
        Assert.NotEqual(existing.UserId, tokens.UserId);
    }

    [Fact]
    public async Task A_wrong_PKCE_verifier_is_refused_with_401()
    {
        var code = await OidcBrowser.AuthorizeAsync(app.Provider, NewPerson().Subject);

        using var response = await SignInAsync(code, verifier: new string('v', 43));

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("invalid_grant", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_code_can_be_redeemed_only_once()
    {
        var code = await OidcBrowser.AuthorizeAsync(app.Provider, NewPerson().Subject);
        using var first = await SignInAsync(code);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var replay = await SignInAsync(code);

        await replay.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_nonce_other_than_the_one_in_the_authorization_request_is_refused()
    {
        var code = await OidcBrowser.AuthorizeAsync(app.Provider, NewPerson().Subject, nonce: "the-real-nonce");

        using var response = await SignInAsync(code, nonce: "a-replayed-nonce");

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("nonce", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_provider_or_missing_fields_get_400_with_field_errors()
    {
        using var response = await _client.PostAsJsonAsync("/oauth",
            new { provider = "nowhere", code = "", codeVerifier = "short", redirectUri = "not a uri" }, TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.All(new[] { "provider", "code", "codeVerifier", "redirectUri" }, f => Assert.NotEmpty(problem.FieldErrors(f)));
    }

    [Fact]
    public async Task A_provider_that_cannot_be_reached_gets_503_with_Retry_After()
    {
        var code = await OidcBrowser.AuthorizeAsync(app.Provider, NewPerson().Subject);

        using var response = await _client.PostAsJsonAsync("/oauth", new
        {
            provider = "down",
            code = code.Code,
            codeVerifier = code.CodeVerifier,
            redirectUri = TestOidcProvider.RedirectUri,
            nonce = code.Nonce,
        }, TestContext.Current.CancellationToken);

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task The_provider_list_tells_a_client_where_to_send_the_user()
    {
        var list = await _client.GetFromJsonAsync<JsonElement>("/oauth/providers", TestContext.Current.CancellationToken);

        var provider = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("local", provider.GetProperty("name").GetString());
        Assert.Equal("Local ID", provider.GetProperty("displayName").GetString());
        Assert.Equal(TestOidcProvider.ClientId, provider.GetProperty("clientId").GetString());
        Assert.StartsWith(app.Provider.Authority.ToString().TrimEnd('/'), provider.GetProperty("authorizationEndpoint").GetString(), StringComparison.Ordinal);
    }
}
