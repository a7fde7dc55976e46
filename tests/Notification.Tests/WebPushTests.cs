using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Contracts.Friendships;
using Messenger.Testing;
using Messenger.Testing.Services;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Notification.Api.Data;
using Notification.Tests.Infrastructure;

namespace Notification.Tests;

/// <summary>Web Push through a real (test) push service: VAPID-signed, RFC 8291-encrypted, retried and cleaned up like the standard asks.</summary>
public sealed class WebPushTests(NotificationSystem system) : IClassFixture<NotificationSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_user_without_a_live_stream_gets_a_vapid_signed_push_that_decrypts_to_the_notification()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var (browser, _) = await system.SubscribeAsync(bob);
        var conversation = Guid.NewGuid();

        await system.PublishAsync(NotificationSystem.Message(conversation, 1, alice, "are you there?", bob));

        var push = await system.Push.WaitForAsync(browser, "a push to bob's browser");
        Assert.Equal("messages", push.Notification.GetProperty("kind").GetString());
        Assert.Equal("are you there?", push.Notification.GetProperty("data").GetProperty("lastPreview").GetString());
        Assert.Equal(conversation, push.Notification.GetProperty("data").GetProperty("conversationId").GetGuid());
        Assert.Equal(await VapidPublicKeyAsync(), push.VapidPublicKey);
        Assert.StartsWith("mailto:", push.VapidClaims.GetProperty("sub").GetString(), StringComparison.Ordinal);
        Assert.Equal(push.Notification.GetProperty("id").GetGuid().ToString("N"), push.Topic);
        Assert.True(int.Parse(push.Ttl!, System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task A_user_with_a_live_stream_gets_it_there_and_no_push()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var (browser, _) = await system.SubscribeAsync(bob);
        await using var stream = await system.StreamAsync(bob);

        await system.PublishAsync(new FriendRequestSent(Guid.NewGuid(), alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));

        await stream.WaitForAsync(n => n.GetProperty("kind").GetString() == "friend_request", "the request on the stream");
        await Eventually.UntilAsync(async () => await QueuedPushesAsync() == 0, "the push queue to be worked off");
        Assert.Empty(system.Push.For(browser));
        Assert.Equal(0, system.Push.AttemptsFor(browser));
    }

    [Fact]
    public async Task Throttled_and_failing_push_services_are_retried_until_they_take_the_push()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var (browser, _) = await system.SubscribeAsync(bob);
        system.Push.Answer(browser, (429, "0"), (503, null));

        await system.PublishAsync(new FriendRequestSent(Guid.NewGuid(), alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));

        var push = await system.Push.WaitForAsync(browser, "the push after two refusals");
        Assert.Equal("friend_request", push.Notification.GetProperty("kind").GetString());
        Assert.Equal(3, system.Push.AttemptsFor(browser));
    }

    [Fact]
    public async Task A_subscription_the_push_service_reports_gone_is_removed()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var (browser, id) = await system.SubscribeAsync(bob);
        system.Push.Answer(browser, (410, null));

        await system.PublishAsync(new FriendRequestSent(Guid.NewGuid(), alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));

        await Eventually.UntilAsync(async () => !(await SubscriptionIdsAsync(bob)).Contains(id), "the gone subscription to be removed");
        Assert.Equal(1, system.Push.AttemptsFor(browser));
    }

    [Fact]
    public async Task Subscribing_the_same_browser_again_updates_it_and_another_user_cannot_delete_it()
    {
        var bob = await system.NewUserAsync("bob");
        var mallory = await system.NewUserAsync("mallory");
        var (browser, id) = await system.SubscribeAsync(bob);

        using (var again = await system.Client(bob).PostAsJsonAsync("/notifications/push-subscriptions", browser.ToJson(), Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetGuid());
        }

        using (var foreign = await system.Client(mallory).DeleteAsync($"/notifications/push-subscriptions/{id}", Cancellation))
        {
            await foreign.AssertProblemAsync(HttpStatusCode.NotFound);
        }

        Assert.Equal([id], await SubscriptionIdsAsync(bob));
        using (var own = await system.Client(bob).DeleteAsync($"/notifications/push-subscriptions/{id}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        }

        Assert.Empty(await SubscriptionIdsAsync(bob));
    }

    public static TheoryData<string, string, string, string> MalformedSubscriptions()
    {
        var goodKey = Base64Url.EncodeToString(new BrowserSubscription("https://push.example/x").PublicKey);
        var goodAuth = Base64Url.EncodeToString(new byte[16]);
        var offCurve = Base64Url.EncodeToString([0x04, .. Enumerable.Repeat((byte)7, 64)]);
        return new()
        {
            { "http://push.example.com/send/1", goodKey, goodAuth, "endpoint" },
            { "ftp://127.0.0.1/send/1", goodKey, goodAuth, "endpoint" },
            { "not a url", goodKey, goodAuth, "endpoint" },
            { "https://push.example.com/send/1", goodKey[..40], goodAuth, "keys.p256dh" },
            { "https://push.example.com/send/1", offCurve, goodAuth, "keys.p256dh" },
            { "https://push.example.com/send/1", "!!!not-base64!!!", goodAuth, "keys.p256dh" },
            { "https://push.example.com/send/1", goodKey, Base64Url.EncodeToString(new byte[15]), "keys.auth" },
            { "https://push.example.com/send/1", goodKey, "", "keys.auth" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedSubscriptions))]
    public async Task A_malformed_subscription_is_refused_with_the_field_named(string endpoint, string p256dh, string auth, string field)
    {
        var bob = await system.NewUserAsync("bob");

        using var response = await system.Client(bob).PostAsJsonAsync("/notifications/push-subscriptions",
            new { endpoint, keys = new { p256dh, auth } }, Cancellation);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors(field));
        Assert.Empty(await SubscriptionIdsAsync(bob));
    }

    [Fact]
    public async Task A_subscription_without_keys_or_with_malformed_json_is_refused()
    {
        var bob = await system.NewUserAsync("bob");
        using (var noKeys = await system.Client(bob).PostAsJsonAsync("/notifications/push-subscriptions", new { endpoint = "https://push.example.com/1" }, Cancellation))
        {
            var problem = await noKeys.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.NotEmpty(problem.FieldErrors("keys.p256dh"));
            Assert.NotEmpty(problem.FieldErrors("keys.auth"));
        }

        using var malformed = await system.Client(bob).PostAsync("/notifications/push-subscriptions",
            new StringContent("{\"endpoint\": ", System.Text.Encoding.UTF8, "application/json"), Cancellation);
        await malformed.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_vapid_public_key_is_an_uncompressed_p256_point_and_needs_no_sign_in()
    {
        var key = await VapidPublicKeyAsync();
        var bytes = Base64Url.DecodeFromChars(key);
        Assert.Equal(65, bytes.Length);
        Assert.Equal(0x04, bytes[0]);
    }

    private async Task<string> VapidPublicKeyAsync()
    {
        using var response = await system.Notifications.CreateClient().GetAsync("/notifications/vapid-public-key", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("publicKey").GetString()!;
    }

    private async Task<List<Guid>> SubscriptionIdsAsync(Tokens user)
    {
        var body = await system.Client(user).GetFromJsonAsync<JsonElement>("/notifications/push-subscriptions", Cancellation);
        return [.. body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid())];
    }

    private async Task<int> QueuedPushesAsync()
    {
        await using var scope = system.Notifications.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<NotificationDbContext>().PushDeliveries.CountAsync(Cancellation);
    }
}
