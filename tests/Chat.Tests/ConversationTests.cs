using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Chat.Tests.Infrastructure;
using Messenger.Contracts.Users;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Chat.Tests;

/// <summary>Direct conversations, groups and their members over HTTP.</summary>
public sealed class ConversationTests(ChatSystem system) : IClassFixture<ChatSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_direct_conversation_is_created_once_per_pair_from_either_side()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");

        using var created = await system.Client(alice).PostAsJsonAsync("/chat", new { type = "direct", userId = bob.UserId }, Cancellation);
        using var again = await system.Client(bob).PostAsJsonAsync("/chat", new { type = "direct", userId = alice.UserId }, Cancellation);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var conversation = await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var existing = await again.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(conversation.GetProperty("conversationId").GetGuid(), existing.GetProperty("conversationId").GetGuid());
        Assert.Equal($"/chat/{conversation.GetProperty("conversationId").GetGuid()}", created.Headers.Location?.OriginalString);
        Assert.Equal("direct", conversation.GetProperty("type").GetString());
        Assert.Equal([alice.UserId, bob.UserId], conversation.GetProperty("memberIds").EnumerateArray().Select(m => m.GetGuid()));
        Assert.Equal(0, conversation.GetProperty("lastSeq").GetInt64());
    }

    [Fact]
    public async Task Opening_the_same_direct_conversation_concurrently_yields_one_conversation()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");

        var ids = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => i % 2 == 0 ? system.DirectAsync(alice, bob) : system.DirectAsync(bob, alice)));

        Assert.Single(ids.Distinct());
    }

    [Fact]
    public async Task A_direct_conversation_with_an_unknown_user_gets_404_and_with_oneself_400()
    {
        var alice = await system.NewUserAsync("alice");

        using var unknown = await system.Client(alice).PostAsJsonAsync("/chat", new { type = "direct", userId = Guid.NewGuid() }, Cancellation);
        using var self = await system.Client(alice).PostAsJsonAsync("/chat", new { type = "direct", userId = alice.UserId }, Cancellation);

        await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.NotEmpty((await self.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("userId"));
    }

    [Theory]
    [InlineData("{}", "type")]
    [InlineData("{\"type\":\"channel\"}", "type")]
    [InlineData("{\"type\":\"direct\"}", "userId")]
    [InlineData("{\"type\":\"group\"}", "title")]
    [InlineData("{\"type\":\"group\",\"title\":\"   \"}", "title")]
    public async Task A_malformed_conversation_gets_400_naming_the_field(string body, string field)
    {
        var alice = await system.NewUserAsync("alice");

        using var response = await system.Client(alice).PostAsync("/chat", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Cancellation);

        Assert.NotEmpty((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors(field));
    }

    [Fact]
    public async Task Malformed_json_and_wrong_types_get_400()
    {
        var alice = await system.NewUserAsync("alice");

        using var broken = await system.Client(alice).PostAsync("/chat", new StringContent("{\"type\":", System.Text.Encoding.UTF8, "application/json"), Cancellation);
        using var wrongType = await system.Client(alice).PostAsync("/chat", new StringContent("{\"type\":\"direct\",\"userId\":42}", System.Text.Encoding.UTF8, "application/json"), Cancellation);

        await broken.AssertProblemAsync(HttpStatusCode.BadRequest);
        await wrongType.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_group_has_a_title_an_owner_and_its_members()
    {
        var owner = await system.NewUserAsync("owner");
        var (bob, carol) = (await system.NewUserAsync("bob"), await system.NewUserAsync("carol"));

        var group = await system.GroupAsync(owner, "  Weekend plans ", bob, carol);

        var members = await MembersAsync(owner, group);
        Assert.Equal([owner.UserId, bob.UserId, carol.UserId], members.Select(m => m.GetProperty("userId").GetGuid()));
        Assert.Equal(["owner", "member", "member"], members.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(bob.Username, members[1].GetProperty("username").GetString());
        var list = await system.Client(carol).GetFromJsonAsync<JsonElement>("/chat", Cancellation);
        var entry = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("Weekend plans", entry.GetProperty("title").GetString());
        Assert.Equal("group", entry.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_group_of_more_than_500_members_or_with_unknown_users_gets_400()
    {
        var owner = await system.NewUserAsync("owner");

        using var tooMany = await system.Client(owner).PostAsJsonAsync("/chat",
            new { type = "group", title = "Crowd", memberIds = Enumerable.Range(0, 500).Select(_ => Guid.NewGuid()) }, Cancellation);
        using var unknown = await system.Client(owner).PostAsJsonAsync("/chat",
            new { type = "group", title = "Ghosts", memberIds = new[] { Guid.NewGuid() } }, Cancellation);

        Assert.Contains("500", (await tooMany.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("memberIds").Single(), StringComparison.Ordinal);
        Assert.NotEmpty((await unknown.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("memberIds"));
    }

    [Fact]
    public async Task The_list_is_ordered_by_last_activity_with_the_last_message_and_pages_by_cursor()
    {
        var me = await system.NewUserAsync("me");
        var friends = await system.NewUsersAsync(3, "friend");
        var conversations = new List<Guid>();
        foreach (var friend in friends)
        {
            conversations.Add(await system.DirectAsync(me, friend));
        }

        await using var socket = await system.ConnectAsync(friends[0]);
        await socket.SendTextAsync(conversations[0], "newest news");

        var first = await system.Client(me).GetFromJsonAsync<JsonElement>("/chat?limit=2", Cancellation);
        var items = first.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([conversations[0], conversations[2]], items.Select(i => i.GetProperty("conversationId").GetGuid()));
        Assert.Equal("newest news", items[0].GetProperty("lastMessage").GetProperty("content").GetProperty("text").GetString());
        Assert.Equal(1, items[0].GetProperty("unreadCount").GetInt64());
        Assert.Equal(JsonValueKind.Undefined, items[1].TryGetProperty("lastMessage", out var none) ? none.ValueKind : JsonValueKind.Undefined);

        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await system.Client(me).GetFromJsonAsync<JsonElement>($"/chat?limit=2&cursor={cursor}", Cancellation);
        Assert.Equal([conversations[1]], second.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("conversationId").GetGuid()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
    }

    [Theory]
    [InlineData("/chat?limit=0")]
    [InlineData("/chat?limit=101")]
    [InlineData("/chat?limit=ten")]
    [InlineData("/chat?cursor=garbage")]
    public async Task A_bad_list_limit_or_cursor_gets_400(string url)
    {
        var me = await system.NewUserAsync("me");

        using var response = await system.Client(me).GetAsync(url, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Owners_and_admins_manage_a_group_and_plain_members_cannot()
    {
        var owner = await system.NewUserAsync("owner");
        var (admin, member, newcomer) = (await system.NewUserAsync("admin"), await system.NewUserAsync("member"), await system.NewUserAsync("new"));
        var group = await system.GroupAsync(owner, "Team", admin, member);

        using var promote = await system.Client(owner).PutAsJsonAsync($"/chat/{group}/members/{admin.UserId}/role", new { role = "admin" }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
        using var memberRenames = await system.Client(member).PatchAsJsonAsync($"/chat/{group}", new { title = "Mine now" }, Cancellation);
        await memberRenames.AssertProblemAsync(HttpStatusCode.Forbidden);
        using var memberAdds = await system.Client(member).PostAsJsonAsync($"/chat/{group}/members", new { userIds = new[] { newcomer.UserId } }, Cancellation);
        await memberAdds.AssertProblemAsync(HttpStatusCode.Forbidden);
        using var adminRemovesOwner = await system.Client(admin).DeleteAsync($"/chat/{group}/members/{owner.UserId}", Cancellation);
        await adminRemovesOwner.AssertProblemAsync(HttpStatusCode.Forbidden);

        using var rename = await system.Client(admin).PatchAsJsonAsync($"/chat/{group}", new { title = "Team 2" }, Cancellation);
        using var add = await system.Client(admin).PostAsJsonAsync($"/chat/{group}/members", new { userIds = new[] { newcomer.UserId } }, Cancellation);
        using var remove = await system.Client(admin).DeleteAsync($"/chat/{group}/members/{member.UserId}", Cancellation);

        Assert.Equal("Team 2", (await rename.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        var members = await MembersAsync(owner, group);
        Assert.Equal([owner.UserId, admin.UserId, newcomer.UserId], members.Select(m => m.GetProperty("userId").GetGuid()));
        using var removed = await system.Client(member).GetAsync($"/chat/{group}", Cancellation);
        await removed.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Members_changes_reach_the_members_sockets()
    {
        var owner = await system.NewUserAsync("owner");
        var (bob, carol) = (await system.NewUserAsync("bob"), await system.NewUserAsync("carol"));
        var group = await system.GroupAsync(owner, "Book club", bob);
        await using var bobSocket = await system.ConnectAsync(bob);
        await using var carolSocket = await system.ConnectAsync(carol);

        using var add = await system.Client(owner).PostAsJsonAsync($"/chat/{group}/members", new { userIds = new[] { carol.UserId } }, Cancellation);

        foreach (var socket in new[] { bobSocket, carolSocket })
        {
            var frame = await socket.WaitForAsync("conversation");
            Assert.Contains(carol.UserId, frame.GetProperty("conversation").GetProperty("memberIds").EnumerateArray().Select(m => m.GetGuid()));
        }

        // The newcomer can write at once; the cache of members was refreshed.
        await carolSocket.SendTextAsync(group, "hi all");
        await bobSocket.WaitForAsync("message");
    }

    [Fact]
    public async Task The_owner_who_leaves_hands_the_group_to_an_admin()
    {
        var owner = await system.NewUserAsync("owner");
        var (member, admin) = (await system.NewUserAsync("member"), await system.NewUserAsync("admin"));
        var group = await system.GroupAsync(owner, "Handover", member, admin);
        using (await system.Client(owner).PutAsJsonAsync($"/chat/{group}/members/{admin.UserId}/role", new { role = "admin" }, Cancellation))
        {
        }

        using var leave = await system.Client(owner).PostAsync($"/chat/{group}/leave", null, Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, leave.StatusCode);
        var members = await MembersAsync(member, group);
        Assert.Equal("owner", members.Single(m => m.GetProperty("userId").GetGuid() == admin.UserId).GetProperty("role").GetString());
        Assert.DoesNotContain(members, m => m.GetProperty("userId").GetGuid() == owner.UserId);
    }

    [Fact]
    public async Task A_direct_conversation_cannot_be_left_renamed_or_grown()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        var direct = await system.DirectAsync(alice, bob);

        using var leave = await system.Client(alice).PostAsync($"/chat/{direct}/leave", null, Cancellation);
        using var rename = await system.Client(alice).PatchAsJsonAsync($"/chat/{direct}", new { title = "us" }, Cancellation);
        using var add = await system.Client(alice).PostAsJsonAsync($"/chat/{direct}/members", new { userIds = new[] { carol.UserId } }, Cancellation);

        await leave.AssertProblemAsync(HttpStatusCode.BadRequest);
        await rename.AssertProblemAsync(HttpStatusCode.BadRequest);
        await add.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_non_participant_gets_404_for_members_and_management()
    {
        var owner = await system.NewUserAsync("owner");
        var stranger = await system.NewUserAsync("stranger");
        var group = await system.GroupAsync(owner, "Private");

        using var members = await system.Client(stranger).GetAsync($"/chat/{group}/members", Cancellation);
        using var rename = await system.Client(stranger).PatchAsJsonAsync($"/chat/{group}", new { title = "x" }, Cancellation);
        using var leave = await system.Client(stranger).PostAsync($"/chat/{group}/leave", null, Cancellation);

        await members.AssertProblemAsync(HttpStatusCode.NotFound);
        await rename.AssertProblemAsync(HttpStatusCode.NotFound);
        await leave.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_blocked_user_can_neither_open_nor_write_to_the_direct_conversation_with_the_blocker()
    {
        var blocker = await system.NewUserAsync("blocker");
        var blocked = await system.NewUserAsync("blocked");
        var conversation = await system.DirectAsync(blocked, blocker);
        await using var socket = await system.ConnectAsync(blocked);
        await socket.SendTextAsync(conversation, "before the block");

        await system.PublishAsync(new UserBlocked(blocker.UserId, blocked.UserId, DateTimeOffset.UtcNow));

        await Eventually.UntilAsync(async () =>
        {
            using var open = await system.Client(blocked).PostAsJsonAsync("/chat", new { type = "direct", userId = blocker.UserId }, Cancellation);
            return open.StatusCode == HttpStatusCode.Forbidden;
        }, "the block to reach Chat");
        // The block reaches the members cache of every instance a moment after the table.
        await SendUntilAnsweredAsync(socket, conversation, "error", "blocked");
        // The blocker can still read the history and write.
        await using var blockerSocket = await system.ConnectAsync(blocker);
        await blockerSocket.SendTextAsync(conversation, "I still can");

        await system.PublishAsync(new UserUnblocked(blocker.UserId, blocked.UserId, DateTimeOffset.UtcNow.AddSeconds(1)));
        await Eventually.UntilAsync(async () =>
        {
            using var open = await system.Client(blocked).PostAsJsonAsync("/chat", new { type = "direct", userId = blocker.UserId }, Cancellation);
            return open.StatusCode == HttpStatusCode.OK;
        }, "the unblock to reach Chat");
        await SendUntilAnsweredAsync(socket, conversation, "ack");
    }

    /// <summary>Sends until a send is answered with <paramref name="type"/> (and error <paramref name="code"/>): caches catch up a moment after the tables.</summary>
    private static Task SendUntilAnsweredAsync(ChatSocket socket, Guid conversation, string type, string? code = null) =>
        Eventually.UntilAsync(async () =>
        {
            var id = Guid.NewGuid().ToString();
            await socket.SendAsync(new { type = "send", clientMessageId = id, conversationId = conversation, content = new { kind = "text", text = "probe" } });
            var answer = await socket.WaitForAsync("ack", f => f.GetProperty("clientMessageId").GetString() == id, orType: "error");
            return answer.GetProperty("type").GetString() == type && (code is null || answer.GetProperty("code").GetString() == code);
        }, $"a send to be answered with {type} {code}");

    private async Task<List<JsonElement>> MembersAsync(Tokens user, Guid conversation) =>
        (await system.Client(user).GetFromJsonAsync<JsonElement>($"/chat/{conversation}/members", Cancellation))
            .GetProperty("items").EnumerateArray().ToList();
}
