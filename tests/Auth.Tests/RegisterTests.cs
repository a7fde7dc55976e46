using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Auth.Api.Data;
using Auth.Tests.Infrastructure;
using Messenger.Testing.Services;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Auth.Tests;

public sealed class RegisterTests(AuthApp app) : IClassFixture<AuthApp>
{
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Register_returns_201_with_tokens_for_the_new_user()
    {
        var username = AuthClient.NewUsername();
        using var response = await _client.PostAsJsonAsync("/register",
            new { username, password = AuthClient.Password, email = $"{username}@example.org", displayName = "Alice A." },
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/user/{username}", response.Headers.Location?.OriginalString);
        var tokens = (await response.Content.ReadFromJsonAsync<Tokens>(TestContext.Current.CancellationToken))!;
        Assert.Equal(username, tokens.Username);
        Assert.Equal("Bearer", tokens.TokenType);
        Assert.Equal(900, tokens.ExpiresIn);
        Assert.NotEqual(Guid.Empty, tokens.UserId);
        Assert.True(tokens.RefreshToken.Length >= 43, "a refresh token carries 256 random bits");

        var jwt = new JsonWebToken(tokens.AccessToken);
        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal(tokens.UserId.ToString(), jwt.Subject);
        Assert.Equal(username, jwt.GetClaim("name").Value);
        Assert.Equal(tokens.SessionId.ToString(), jwt.GetClaim("sid").Value);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.Equal(TimeSpan.FromMinutes(15), jwt.ValidTo - jwt.IssuedAt);
    }

    [Fact]
    public async Task The_password_is_stored_only_as_a_PBKDF2_HMAC_SHA512_hash_with_100000_iterations_and_a_128_bit_salt()
    {
        var tokens = await _client.RegisterAsync();

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AuthDbContext>();
        var stored = await db.Accounts.Where(a => a.Id == tokens.UserId).Select(a => a.PasswordHash).SingleAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain(AuthClient.Password, stored, StringComparison.Ordinal);
        // ASP.NET Core Identity's v3 format: marker, PRF, iteration count, salt length (big-endian), salt, subkey.
        var hash = Convert.FromBase64String(stored!);
        Assert.Equal(0x01, hash[0]);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(1))); // HMAC-SHA512
        Assert.Equal(100_000u, BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(5)));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(9)));
        Assert.Equal(13 + 16 + 32, hash.Length);
    }

    [Fact]
    public async Task Usernames_are_unique_regardless_of_case()
    {
        var username = AuthClient.NewUsername();
        await _client.RegisterAsync(username);

        using var again = await _client.PostAsJsonAsync("/register",
            new { username = username.ToUpperInvariant(), password = AuthClient.Password }, TestContext.Current.CancellationToken);

        var problem = await again.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains(username, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_account_with_the_same_email_gets_409()
    {
        var email = $"{AuthClient.NewUsername()}@example.org";
        await _client.RegisterAsync(email: email);

        using var again = await _client.PostAsJsonAsync("/register",
            new { username = AuthClient.NewUsername(), password = AuthClient.Password, email = email.ToUpperInvariant() },
            TestContext.Current.CancellationToken);

        await again.AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Parallel_registrations_of_one_name_create_exactly_one_account()
    {
        var username = AuthClient.NewUsername();
        var attempts = Enumerable.Range(0, 8).Select(_ =>
            _client.PostAsJsonAsync("/register", new { username, password = AuthClient.Password }, TestContext.Current.CancellationToken));

        var responses = await Task.WhenAll(attempts);

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
    }

    [Theory]
    [InlineData("ab", "username")]
    [InlineData("this_username_is_longer_than_32_chars", "username")]
    [InlineData("bad name!", "username")]
    [InlineData("ünïcode", "username")]
    [InlineData("search", "username")]
    [InlineData("Blocked", "username")]
    public async Task Invalid_usernames_get_400_with_a_field_error(string username, string field)
    {
        using var response = await _client.PostAsJsonAsync("/register", new { username, password = AuthClient.Password },
            TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors(field));
    }

    [Theory]
    [InlineData("short")]
    [InlineData("aaaaaaaaaaaa")]
    [InlineData("password123")]
    public async Task Weak_passwords_get_400_with_a_password_error(string password)
    {
        using var response = await _client.PostAsJsonAsync("/register", new { username = AuthClient.NewUsername(), password },
            TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors("password"));
    }

    [Fact]
    public async Task A_password_over_128_characters_gets_400()
    {
        using var response = await _client.PostAsJsonAsync("/register",
            new { username = AuthClient.NewUsername(), password = string.Concat(Enumerable.Repeat("abc123XYZ!", 13)) },
            TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("128", problem.FieldErrors("password")[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_invalid_field_is_reported_at_once()
    {
        using var response = await _client.PostAsJsonAsync("/register",
            new { username = "x", password = "1", email = "not-an-address", displayName = " " },
            TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.All(new[] { "username", "password", "email", "displayName" }, f => Assert.NotEmpty(problem.FieldErrors(f)));
    }

    [Theory]
    [InlineData("{\"username\": \"abc\", ")]
    [InlineData("not json at all")]
    [InlineData("{\"username\": 12, \"password\": true}")]
    [InlineData("[1, 2, 3]")]
    public async Task Malformed_or_mistyped_json_gets_400_problem_details(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/register", content, TestContext.Current.CancellationToken);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task An_empty_body_gets_400()
    {
        using var content = new StringContent("", Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/register", content, TestContext.Current.CancellationToken);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_415()
    {
        using var content = new StringContent("username=alice", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await _client.PostAsync("/register", content, TestContext.Current.CancellationToken);

        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task An_oversized_body_gets_413()
    {
        var huge = new string('a', 2 * 1024 * 1024);
        using var response = await _client.PostAsJsonAsync("/register",
            new { username = AuthClient.NewUsername(), password = AuthClient.Password, displayName = huge },
            TestContext.Current.CancellationToken);

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }
}
