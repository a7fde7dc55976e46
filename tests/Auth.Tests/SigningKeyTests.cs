using System.Net.Http.Json;
using System.Text.Json;
using Auth.Api.Tokens;
using Auth.Tests.Infrastructure;
using Messenger.Testing.Services;
using Messenger.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Auth.Tests;

/// <summary>Signing keys persist, rotate ahead of use, and stay published while their tokens live.</summary>
public sealed class SigningKeyTests(SigningKeyTests.App app) : IClassFixture<SigningKeyTests.App>
{
    /// <summary>Auth on a clock the test moves.</summary>
    public sealed class App : AuthApp
    {
        public App(TestServers servers) : base(servers) => TestServices = services => services.AddSingleton<TimeProvider>(Clock);

        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);
    }

    private SigningKeyRing Ring => app.Services.GetRequiredService<SigningKeyRing>();

    private async Task<List<string>> PublishedKidsAsync()
    {
        var jwks = await app.CreateClient().GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", TestContext.Current.CancellationToken);
        return [.. jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }

    [Fact]
    public async Task A_new_key_is_published_before_it_signs_and_the_old_one_stays_until_its_tokens_expired()
    {
        var first = Ring.Current.Key.KeyId;
        Assert.Equal([first], await PublishedKidsAsync());

        // Rotation is due: the successor is published but does not sign yet.
        app.Clock.Advance(TimeSpan.FromDays(30));
        await Ring.MaintainAsync(TestContext.Current.CancellationToken);
        var published = await PublishedKidsAsync();
        Assert.Equal(2, published.Count);
        Assert.Equal(first, Ring.Current.Key.KeyId);
        var second = Assert.Single(published, k => k != first);

        // After the publish-ahead period the successor signs; the old key is still published.
        app.Clock.Advance(TimeSpan.FromMinutes(11));
        await Ring.MaintainAsync(TestContext.Current.CancellationToken);
        Assert.Equal(second, Ring.Current.Key.KeyId);
        Assert.Contains(first, await PublishedKidsAsync());

        // Once every token the old key signed has expired (15 min + 1 h margin), it is withdrawn.
        app.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        await Ring.MaintainAsync(TestContext.Current.CancellationToken);
        Assert.Equal([second], await PublishedKidsAsync());
    }

    [Fact]
    public async Task Keys_are_persisted_so_a_second_instance_signs_with_the_same_key()
    {
        await using var secondInstance = new SameDatabaseApp(app);
        await secondInstance.InitializeAsync();

        Assert.Equal(Ring.Current.Key.KeyId, secondInstance.Services.GetRequiredService<SigningKeyRing>().Current.Key.KeyId);
    }

    /// <summary>Another Auth instance on the first one's database and clock.</summary>
    private sealed class SameDatabaseApp : AuthApp
    {
        public SameDatabaseApp(App first) : base(first.Servers)
        {
            Settings["ConnectionStrings:auth"] = first.DatabaseConnectionString;
            TestServices = services => services.AddSingleton<TimeProvider>(first.Clock);
        }
    }
}
