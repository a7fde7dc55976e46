using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Messenger.SecurityTests.Infrastructure;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Messenger.SecurityTests.Authorization;

/// <summary>
/// Alice and what she owns in every service (conversations, a message, a friend request, a
/// notification, a push subscription, an attachment, a session), the tokens an attacker might
/// present for her, and Bob, a stranger to all of it who holds a valid token of his own.
/// </summary>
public sealed class Scene
{
    public required Tokens Alice { get; init; }

    /// <summary>A token of a session Alice logged out of.</summary>
    public required Tokens AliceRevoked { get; init; }

    public required Tokens Bob { get; init; }

    /// <summary>Alice's counterpart in her conversations and friend request.</summary>
    public required Tokens Carol { get; init; }

    /// <summary>Someone Bob may block and unblock without touching Alice's things.</summary>
    public required Tokens Dave { get; init; }

    public required Guid DirectId { get; init; }

    public required Guid GroupId { get; init; }

    public required Guid MessageId { get; init; }

    /// <summary>Carol's pending request to Alice.</summary>
    public required Guid RequestId { get; init; }

    /// <summary>Alice's notification of that request.</summary>
    public required Guid NotificationId { get; init; }

    public required Guid SubscriptionId { get; init; }

    public required Guid AttachmentId { get; init; }

    public const string MessageMarker = "matrix-marker";

    /// <summary>The ids that must never appear in an answer to Bob.</summary>
    public IEnumerable<Guid> AlicesIds => [DirectId, GroupId, MessageId, RequestId, NotificationId, SubscriptionId, AttachmentId, Alice.SessionId];

    public static async Task<Scene> CreateAsync(SecuritySystem system)
    {
        var cancellation = TestContext.Current.CancellationToken;
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        var dave = await system.NewUserAsync("dave");

        var revoked = await system.LoginAsync(alice);
        using (var logout = await system.Auth.CreateClient(revoked.AccessToken).PostAsync("/logout", null, cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        var direct = await system.DirectConversationAsync(alice, carol);
        var group = await system.GroupAsync(alice, "alice and carol", carol);
        var message = await system.SendAsync(alice, group, MessageMarker);

        Guid request;
        using (var asked = await system.Friendship.CreateClient(carol.AccessToken).PostAsJsonAsync("/friends/request", new { userId = alice.UserId }, cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, asked.StatusCode);
            request = (await asked.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("requestId").GetGuid();
        }

        var notification = await Eventually.GetAsync(async () =>
        {
            var list = await system.Notifications.CreateClient(alice.AccessToken).GetFromJsonAsync<JsonElement>("/notifications", cancellation);
            return list.GetProperty("items").EnumerateArray().Select(n => n.GetProperty("id").GetGuid()).FirstOrDefault();
        }, id => id != Guid.Empty, "Alice's notification of Carol's friend request");

        Guid subscription;
        using (var subscribed = await system.Notifications.CreateClient(alice.AccessToken)
            .PostAsJsonAsync("/notifications/push-subscriptions", PushSubscription(), cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
            subscription = (await subscribed.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("id").GetGuid();
        }

        Guid attachment;
        using (var uploaded = await system.Chat.CreateClient(alice.AccessToken)
            .PostAsync("/chat/attachments?name=notes.txt", new StringContent("Alice's notes"), cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
            attachment = (await uploaded.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("attachmentId").GetGuid();
        }

        return new Scene
        {
            Alice = alice,
            AliceRevoked = revoked,
            Bob = bob,
            Carol = carol,
            Dave = dave,
            DirectId = direct,
            GroupId = group,
            MessageId = message,
            RequestId = request,
            NotificationId = notification,
            SubscriptionId = subscription,
            AttachmentId = attachment,
        };
    }

    /// <summary>A browser's subscription whose push service refuses connections (a closed loopback port), so nothing is delivered anywhere.</summary>
    public static object PushSubscription()
    {
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var point = browser.ExportParameters(false).Q;
        byte[] uncompressed = [0x04, .. point.X!, .. point.Y!];
        return new
        {
            endpoint = $"http://127.0.0.1:9/push/{Guid.NewGuid():N}",
            expirationTime = (long?)null,
            keys = new { p256dh = Base64Url(uncompressed), auth = Base64Url(RandomNumberGenerator.GetBytes(16)) },
        };
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
