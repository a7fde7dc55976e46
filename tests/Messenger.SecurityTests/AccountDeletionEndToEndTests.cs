using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.SecurityTests.Authorization;
using Messenger.SecurityTests.Infrastructure;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Messenger.SecurityTests;

/// <summary>"Delete my account" through the gateway, seen by the account itself and by a friend (docs/decisions/0070-account-deletion.md).</summary>
public sealed class AccountDeletionEndToEndTests(SecuritySystem system)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_deleted_account_loses_its_sessions_profile_friendships_notifications_and_push_while_its_messages_stay_under_deleted_user()
    {
        var leaver = await system.NewUserAsync("leaver");
        var friend = await system.NewUserAsync("friend");
        using var gatewayAsLeaver = Gateway(leaver);
        using var gatewayAsFriend = Gateway(friend);

        using (var asked = await gatewayAsLeaver.PostAsJsonAsync("/friends/request", new { userId = friend.UserId }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, asked.StatusCode);
            var requestId = (await asked.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("requestId").GetGuid();
            using var accepted = await gatewayAsFriend.PostAsJsonAsync("/friends/accept", new { requestId }, Cancellation);
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        var conversation = await system.DirectConversationAsync(leaver, friend);
        await system.SendAsync(leaver, conversation, "see you on the other side");
        await system.SendAsync(friend, conversation, "wait, where are you going?");
        using (var subscribed = await gatewayAsLeaver.PostAsJsonAsync("/notifications/push-subscriptions", Scene.PushSubscription(), Cancellation))
        {
            Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        }

        await Eventually.UntilAsync(async () => await CountAsync(system.Notifications, "SELECT count(*) FROM notifications WHERE user_id = $1", leaver.UserId) > 0,
            "the leaver's notification of the friend's message");

        using (var wrongPassword = await DeleteAccountAsync(gatewayAsLeaver, "not my password"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrongPassword.StatusCode);
        }

        using (var deleted = await DeleteAccountAsync(gatewayAsLeaver, AuthClient.Password))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        // The account's tokens stop working at once, everywhere, and it cannot log in again.
        using (var sessions = await gatewayAsLeaver.GetAsync("/sessions", Cancellation))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, sessions.StatusCode);
        }

        using (var chats = await gatewayAsLeaver.GetAsync("/chat", Cancellation))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, chats.StatusCode);
        }

        using (var login = await system.Gateway.CreateClient().PostAsJsonAsync("/login", new { username = leaver.Username, password = AuthClient.Password }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        }

        // The other services follow from UserDeleted.
        await Eventually.UntilAsync(async () =>
        {
            using var profile = await gatewayAsFriend.GetAsync("/user/" + leaver.Username, Cancellation);
            return profile.StatusCode == HttpStatusCode.NotFound;
        }, "the profile to be gone");
        await Eventually.UntilAsync(async () =>
        {
            var friends = await gatewayAsFriend.GetFromJsonAsync<JsonElement>($"/friends/{friend.UserId}", Cancellation);
            return !friends.GetProperty("items").EnumerateArray().Any(f => f.GetProperty("userId").GetGuid() == leaver.UserId);
        }, "the friendship to be gone");
        await Eventually.UntilAsync(async () =>
            await CountAsync(system.Notifications, "SELECT count(*) FROM notifications WHERE user_id = $1", leaver.UserId) == 0
            && await CountAsync(system.Notifications, "SELECT count(*) FROM push_subscriptions WHERE user_id = $1", leaver.UserId) == 0,
            "the notifications and push subscriptions to be gone");
        var members = await Eventually.GetAsync(
            () => gatewayAsFriend.GetFromJsonAsync<JsonElement>($"/chat/{conversation}/members", Cancellation),
            list => list.GetProperty("items").EnumerateArray().Any(m => m.GetProperty("username").GetString() == "deleted user"),
            "the leaver to show as deleted user");
        Assert.Equal(leaver.UserId, members.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("username").GetString() == "deleted user").GetProperty("userId").GetGuid());
        var history = await gatewayAsFriend.GetFromJsonAsync<JsonElement>($"/chat/{conversation}", Cancellation);
        Assert.Equal(["wait, where are you going?", "see you on the other side"],
            history.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("content").GetProperty("text").GetString()));
    }

    private HttpClient Gateway(Tokens user) => system.Gateway.CreateClient(user.AccessToken);

    private static Task<HttpResponseMessage> DeleteAccountAsync(HttpClient client, string password) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/account") { Content = JsonContent.Create(new { password }) }, Cancellation);

    private static Task<long> CountAsync(ServiceApp<Notification.Api.IApiMarker> notifications, string sql, Guid userId) =>
        SecuritySystem.CountAsync(notifications.DatabaseConnectionString!, sql, userId);
}
