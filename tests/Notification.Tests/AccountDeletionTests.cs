using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Contracts.Auth;
using Messenger.Contracts.Friendships;
using Messenger.Testing;
using Notification.Tests.Infrastructure;

namespace Notification.Tests;

/// <summary>UserDeleted removes the account's notifications and push subscriptions (docs/decisions/0070-account-deletion.md).</summary>
public sealed class AccountDeletionTests(NotificationSystem system) : IClassFixture<NotificationSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UserDeleted_removes_the_users_notifications_and_push_subscriptions_once_and_leaves_others_alone()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        await system.PublishAsync(new FriendRequestSent(Guid.NewGuid(), bob.UserId, bob.Username, alice.UserId, alice.Username, DateTimeOffset.UtcNow));
        await system.PublishAsync(new FriendRequestSent(Guid.NewGuid(), alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
        await system.WaitForNotificationAsync(alice, _ => true, "alice's notification");
        await system.WaitForNotificationAsync(bob, _ => true, "bob's notification");
        await system.SubscribeAsync(alice);
        await system.SubscribeAsync(bob);

        await system.PublishRepeatedlyAsync(new UserDeleted(alice.UserId, DateTimeOffset.UtcNow), times: 2);

        await Eventually.UntilAsync(async () => (await system.ListAsync(alice)).Count == 0, "alice's notifications to be gone");
        var alicesSubscriptions = await system.Client(alice).GetFromJsonAsync<JsonElement>("/notifications/push-subscriptions", Cancellation);
        var bobsSubscriptions = await system.Client(bob).GetFromJsonAsync<JsonElement>("/notifications/push-subscriptions", Cancellation);
        Assert.Equal(0, alicesSubscriptions.GetProperty("items").GetArrayLength());
        Assert.Equal(1, bobsSubscriptions.GetProperty("items").GetArrayLength());
        Assert.Single(await system.ListAsync(bob));
    }
}
