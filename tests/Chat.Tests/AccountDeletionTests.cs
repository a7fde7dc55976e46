using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Chat.Tests.Infrastructure;
using Messenger.Contracts.Auth;
using Messenger.Testing;

namespace Chat.Tests;

/// <summary>
/// UserDeleted keeps the account's conversations and messages for the others, shown as written by
/// "deleted user", and nobody can start a conversation with it again (docs/decisions/0070-account-deletion.md).
/// </summary>
public sealed class AccountDeletionTests(ChatSystem system) : IClassFixture<ChatSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_deleted_users_messages_stay_for_the_others_under_deleted_user_and_no_new_conversation_can_include_them()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        var direct = await system.DirectAsync(alice, bob);
        var group = await system.GroupAsync(bob, "team", alice);
        await using (var socket = await system.ConnectAsync(alice))
        {
            await socket.SendTextAsync(direct, "from alice, before she left");
            await socket.SendTextAsync(group, "alice in the group");
        }

        await system.PublishAsync(new UserDeleted(alice.UserId, DateTimeOffset.UtcNow));
        await system.PublishAsync(new UserDeleted(alice.UserId, DateTimeOffset.UtcNow));

        var members = await Eventually.GetAsync(
            () => system.Client(bob).GetFromJsonAsync<JsonElement>($"/chat/{group}/members", Cancellation),
            list => list.GetProperty("items").EnumerateArray().Any(m => m.GetProperty("username").GetString() == "deleted user"),
            "alice to show as deleted user");
        Assert.Equal(alice.UserId, members.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("username").GetString() == "deleted user").GetProperty("userId").GetGuid());
        var history = await system.Client(bob).GetFromJsonAsync<JsonElement>($"/chat/{direct}", Cancellation);
        Assert.Contains(history.GetProperty("items").EnumerateArray(),
            m => m.GetProperty("senderId").GetGuid() == alice.UserId && m.GetProperty("content").GetProperty("text").GetString() == "from alice, before she left");

        using var newDirect = await system.Client(carol).PostAsJsonAsync("/chat", new { type = "direct", userId = alice.UserId }, Cancellation);
        using var newGroup = await system.Client(carol).PostAsJsonAsync("/chat", new { type = "group", title = "with alice", memberIds = new[] { alice.UserId } }, Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, newDirect.StatusCode);
        Assert.True(newGroup.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"A group with a deleted user answered {(int)newGroup.StatusCode}");
    }
}
