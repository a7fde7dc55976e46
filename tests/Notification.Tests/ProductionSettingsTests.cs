using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Testing;
using Messenger.Testing.Services;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Notification.Api.Extensions;
using Notification.Api.Push;
using Notification.Tests.Infrastructure;

namespace Notification.Tests;

/// <summary>Outside Development: VAPID keys must be configured and push endpoints must be https.</summary>
public sealed class ProductionSettingsTests(TestServers servers) : IAsyncLifetime
{
    private static readonly VapidKeyPair Configured = VapidKeyPair.Generate();
    private ServiceApp<Auth.Api.IApiMarker> auth = null!;
    private NotificationApp notifications = null!;

    public async ValueTask InitializeAsync()
    {
        auth = new ServiceApp<Auth.Api.IApiMarker>(servers, "auth");
        await auth.InitializeAsync();
        notifications = new NotificationApp(servers, auth.RedisPrefix);
        notifications.TrustingTokensOf(auth);
        notifications.Settings["environment"] = Environments.Production;
        notifications.Settings["Database:MigrateOnStart"] = "true";
        notifications.Settings["Notifications:Vapid:PublicKey"] = Configured.PublicKey;
        notifications.Settings["Notifications:Vapid:PrivateKey"] = Configured.PrivateKey;
        notifications.Settings["Notifications:Vapid:Subject"] = "mailto:ops@messenger.example";
        await notifications.InitializeAsync();
    }

    [Fact]
    public async Task The_configured_vapid_key_is_served()
    {
        var body = await notifications.CreateClient().GetFromJsonAsync<JsonElement>("/notifications/vapid-public-key", TestContext.Current.CancellationToken);
        Assert.Equal(Configured.PublicKey, body.GetProperty("publicKey").GetString());
    }

    [Fact]
    public async Task A_plain_http_push_endpoint_is_refused_even_on_loopback()
    {
        var bob = await auth.CreateClient().RegisterAsync(AuthClient.NewUsername("bob"));
        using var browser = new BrowserSubscription("http://127.0.0.1:9/push/1");

        using var response = await notifications.CreateClient(bob.AccessToken)
            .PostAsJsonAsync("/notifications/push-subscriptions", browser.ToJson(), TestContext.Current.CancellationToken);

        Assert.NotEmpty((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("endpoint"));
    }

    [Theory]
    [InlineData("https://10.0.0.5/push/1")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://192.168.1.1:8443/push/1")]
    [InlineData("https://[fd00::1]/push/1")]
    [InlineData("https://127.0.0.1/push/1")]
    public async Task A_push_endpoint_at_an_internal_address_is_refused(string endpoint)
    {
        var bob = await auth.CreateClient().RegisterAsync(AuthClient.NewUsername("bob"));
        using var browser = new BrowserSubscription(endpoint);

        using var response = await notifications.CreateClient(bob.AccessToken)
            .PostAsJsonAsync("/notifications/push-subscriptions", browser.ToJson(), TestContext.Current.CancellationToken);

        Assert.NotEmpty((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("endpoint"));
    }

    [Fact]
    public void Start_up_refuses_missing_or_mismatched_keys_outside_development()
    {
        var production = new NotificationOptionsValidator(new HostingEnvironment { EnvironmentName = Environments.Production });
        var development = new NotificationOptionsValidator(new HostingEnvironment { EnvironmentName = Environments.Development });
        var other = VapidKeyPair.Generate();

        var missing = production.Validate(null, new NotificationOptions());
        Assert.True(missing.Failed);
        Assert.Contains("Notifications:Vapid:PublicKey", missing.FailureMessage, StringComparison.Ordinal);
        Assert.True(development.Validate(null, new NotificationOptions()).Succeeded);

        var mismatched = new NotificationOptions { Vapid = { PublicKey = Configured.PublicKey, PrivateKey = other.PrivateKey } };
        Assert.True(production.Validate(null, mismatched).Failed);
        var badSubject = new NotificationOptions { Vapid = { PublicKey = Configured.PublicKey, PrivateKey = Configured.PrivateKey, Subject = "ops@example" } };
        Assert.True(production.Validate(null, badSubject).Failed);
        var good = new NotificationOptions { Vapid = { PublicKey = Configured.PublicKey, PrivateKey = Configured.PrivateKey, Subject = "https://messenger.example" } };
        Assert.True(production.Validate(null, good).Succeeded);
    }

    public async ValueTask DisposeAsync()
    {
        await notifications.DisposeAsync();
        await auth.DisposeAsync();
    }
}
