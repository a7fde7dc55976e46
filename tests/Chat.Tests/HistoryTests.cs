using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Chat.Tests.Infrastructure;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Chat.Tests;

/// <summary>History pages (newest first, keyset by seq), edits, deletes, reactions and search.</summary>
public sealed class HistoryTests(ChatSystem system) : IClassFixture<ChatSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private async Task<(Tokens Alice, Tokens Bob, Guid Conversation)> ConversationWithAsync(int messages)
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(alice);
        await MessagingTests.SendManyAsync(socket, conversation, messages);
        return (alice, bob, conversation);
    }

    private async Task<(long[] Seqs, string? Next)> PageAsync(Tokens user, string url)
    {
        var page = await system.Client(user).GetFromJsonAsync<JsonElement>(url, Cancellation);
        var next = page.GetProperty("nextCursor");
        return ([.. page.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64())],
            next.ValueKind == JsonValueKind.Null ? null : next.GetString());
    }

    [Fact]
    public async Task Pages_go_back_newest_first_until_the_first_message()
    {
        var (_, bob, conversation) = await ConversationWithAsync(7);

        var first = await PageAsync(bob, $"/chat/{conversation}?limit=3");
        var second = await PageAsync(bob, $"/chat/{conversation}?limit=3&before={first.Next}");
        var third = await PageAsync(bob, $"/chat/{conversation}?limit=3&before={second.Next}");

        Assert.Equal([7L, 6, 5], first.Seqs);
        Assert.Equal([4L, 3, 2], second.Seqs);
        Assert.Equal([1L], third.Seqs);
        Assert.Null(third.Next);
    }

    [Fact]
    public async Task A_page_that_ends_exactly_at_the_first_message_has_no_next_cursor()
    {
        var (_, bob, conversation) = await ConversationWithAsync(6);

        var first = await PageAsync(bob, $"/chat/{conversation}?limit=3");
        var second = await PageAsync(bob, $"/chat/{conversation}?limit=3&before={first.Next}");

        Assert.Equal([3L, 2, 1], second.Seqs);
        Assert.Null(second.Next);
        Assert.Equal(([], null), await PageAsync(bob, $"/chat/{conversation}?before=1"));
    }

    [Fact]
    public async Task After_pages_forward_from_a_seq_and_before_and_after_bound_a_range()
    {
        var (_, bob, conversation) = await ConversationWithAsync(7);

        var forward = await PageAsync(bob, $"/chat/{conversation}?after=2&limit=2");
        var next = await PageAsync(bob, $"/chat/{conversation}?after={forward.Next}&limit=2");
        var range = await PageAsync(bob, $"/chat/{conversation}?after=2&before=6");
        var atEnd = await PageAsync(bob, $"/chat/{conversation}?after=7");

        Assert.Equal([4L, 3], forward.Seqs);
        Assert.Equal("4", forward.Next);
        Assert.Equal([6L, 5], next.Seqs);
        Assert.Equal([5L, 4, 3], range.Seqs);
        Assert.Equal(([], null), atEnd);
    }

    [Fact]
    public async Task An_empty_conversation_has_an_empty_page_and_the_default_limit_is_50()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var empty = await system.DirectAsync(alice, bob);
        var (_, carolsFriend, busy) = await ConversationWithAsync(55);

        Assert.Equal(([], null), await PageAsync(alice, $"/chat/{empty}"));
        var page = await PageAsync(carolsFriend, $"/chat/{busy}");
        Assert.Equal(50, page.Seqs.Length);
        Assert.Equal("6", page.Next);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=-5")]
    [InlineData("limit=lots")]
    [InlineData("before=abc")]
    [InlineData("before=-1")]
    [InlineData("after=1.5")]
    public async Task Bad_paging_parameters_get_400(string query)
    {
        var (alice, _, conversation) = await ConversationWithAsync(1);

        using var response = await system.Client(alice).GetAsync($"/chat/{conversation}?{query}", Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_non_participant_and_an_unknown_conversation_both_get_404()
    {
        var (_, _, conversation) = await ConversationWithAsync(1);
        var stranger = await system.NewUserAsync("stranger");

        using var foreign = await system.Client(stranger).GetAsync($"/chat/{conversation}", Cancellation);
        using var unknown = await system.Client(stranger).GetAsync($"/chat/{Guid.NewGuid()}", Cancellation);
        using var anonymous = await system.Chat.CreateClient().GetAsync($"/chat/{conversation}", Cancellation);

        var foreignProblem = await foreign.AssertProblemAsync(HttpStatusCode.NotFound);
        var unknownProblem = await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(unknownProblem.GetProperty("detail").GetString(), foreignProblem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Edits_and_deletes_reach_everyone_and_deleted_messages_stay_as_tombstones()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        await using var bobSocket = await system.ConnectAsync(bob);
        var first = (await aliceSocket.SendTextAsync(conversation, "helo")).GetProperty("messageId").GetGuid();
        var second = (await aliceSocket.SendTextAsync(conversation, "oops")).GetProperty("messageId").GetGuid();
        await aliceSocket.SendTextAsync(conversation, "third");

        await aliceSocket.SendAsync(new { type = "edit", conversationId = conversation, messageId = first, content = new { kind = "text", text = "hello" } });
        using var delete = await system.Client(alice).DeleteAsync($"/chat/{conversation}/messages/{second}", Cancellation);

        var edited = (await bobSocket.WaitForAsync("updated", f => f.GetProperty("message").GetProperty("messageId").GetGuid() == first)).GetProperty("message");
        Assert.Equal("hello", edited.GetProperty("content").GetProperty("text").GetString());
        Assert.True(edited.TryGetProperty("editedAt", out _));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        var tombstone = (await bobSocket.WaitForAsync("updated", f => f.GetProperty("message").GetProperty("messageId").GetGuid() == second)).GetProperty("message");
        Assert.True(tombstone.GetProperty("deleted").GetBoolean());
        Assert.False(tombstone.TryGetProperty("content", out _));

        var history = (await system.Client(bob).GetFromJsonAsync<JsonElement>($"/chat/{conversation}", Cancellation)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([3L, 2, 1], history.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.True(history[1].GetProperty("deleted").GetBoolean());
        Assert.Equal("hello", history[2].GetProperty("content").GetProperty("text").GetString());
        // Deleting again is harmless.
        using var again = await system.Client(alice).DeleteAsync($"/chat/{conversation}/messages/{second}", Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task Only_the_author_can_edit_or_delete_and_an_edit_keeps_the_kind()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        var message = (await aliceSocket.SendTextAsync(conversation, "mine")).GetProperty("messageId").GetGuid();

        using var bobEdits = await system.Client(bob).PatchAsJsonAsync($"/chat/{conversation}/messages/{message}", new { content = new { kind = "text", text = "yours" } }, Cancellation);
        using var bobDeletes = await system.Client(bob).DeleteAsync($"/chat/{conversation}/messages/{message}", Cancellation);
        using var toImage = await system.Client(alice).PatchAsJsonAsync($"/chat/{conversation}/messages/{message}",
            new { content = new { kind = "file", url = "https://x/y.pdf", name = "y.pdf", size = 3, mimeType = "application/pdf" } }, Cancellation);
        using var unknown = await system.Client(alice).PatchAsJsonAsync($"/chat/{conversation}/messages/{Guid.NewGuid()}", new { content = new { kind = "text", text = "?" } }, Cancellation);
        using var tooLong = await system.Client(alice).PatchAsJsonAsync($"/chat/{conversation}/messages/{message}", new { content = new { kind = "text", text = new string('z', 4001) } }, Cancellation);
        using var edit = await system.Client(alice).PatchAsJsonAsync($"/chat/{conversation}/messages/{message}", new { content = new { kind = "text", text = "still mine" } }, Cancellation);

        await bobEdits.AssertProblemAsync(HttpStatusCode.Forbidden);
        await bobDeletes.AssertProblemAsync(HttpStatusCode.Forbidden);
        await toImage.AssertProblemAsync(HttpStatusCode.BadRequest);
        await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        await tooLong.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("still mine", (await edit.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("content").GetProperty("text").GetString());
        await using var bobSocket = await system.ConnectAsync(bob);
        await bobSocket.SendAsync(new { type = "delete", conversationId = conversation, messageId = message, requestId = "r1" });
        var error = await bobSocket.WaitForAsync("error");
        Assert.Equal("forbidden", error.GetProperty("code").GetString());
        Assert.Equal("r1", error.GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task Reactions_are_added_once_per_user_and_removed()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var aliceSocket = await system.ConnectAsync(alice);
        await using var bobSocket = await system.ConnectAsync(bob);
        var message = (await aliceSocket.SendTextAsync(conversation, "party?")).GetProperty("messageId").GetGuid();

        await bobSocket.SendAsync(new { type = "react", conversationId = conversation, messageId = message, emoji = "🎉" });
        var reacted = (await aliceSocket.WaitForAsync("updated")).GetProperty("message");
        using var again = await system.Client(bob).PutAsync($"/chat/{conversation}/messages/{message}/reactions/{Uri.EscapeDataString("🎉")}", null, Cancellation);
        using var mine = await system.Client(alice).PutAsync($"/chat/{conversation}/messages/{message}/reactions/{Uri.EscapeDataString("🎉")}", null, Cancellation);

        var reaction = Assert.Single(reacted.GetProperty("reactions").EnumerateArray());
        Assert.Equal("🎉", reaction.GetProperty("emoji").GetString());
        Assert.Equal(1, reaction.GetProperty("count").GetInt32());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var both = Assert.Single((await mine.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("reactions").EnumerateArray());
        Assert.Equal(2, both.GetProperty("count").GetInt32());
        Assert.Equal([bob.UserId, alice.UserId], both.GetProperty("userIds").EnumerateArray().Select(u => u.GetGuid()));

        await bobSocket.SendAsync(new { type = "unreact", conversationId = conversation, messageId = message, emoji = "🎉" });
        await Eventually.UntilAsync(async () =>
        {
            var history = await system.Client(alice).GetFromJsonAsync<JsonElement>($"/chat/{conversation}", Cancellation);
            var users = history.GetProperty("items")[0].GetProperty("reactions")[0].GetProperty("userIds");
            return users.GetArrayLength() == 1 && users[0].GetGuid() == alice.UserId;
        }, "bob's reaction to be removed");
        using var badEmoji = await system.Client(alice).PutAsync($"/chat/{conversation}/messages/{message}/reactions/{Uri.EscapeDataString(new string('x', 40))}", null, Cancellation);
        await badEmoji.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Search_finds_words_in_my_conversations_only()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var eve = await system.NewUserAsync("eve");
        var mine = await system.DirectAsync(alice, bob);
        var others = await system.DirectAsync(bob, eve);
        await using var bobSocket = await system.ConnectAsync(bob);
        var word = "zebra" + Guid.NewGuid().ToString("N")[..6];
        await bobSocket.SendTextAsync(mine, $"the {word} is striped");
        await bobSocket.SendTextAsync(mine, "nothing to see");
        await bobSocket.SendTextAsync(others, $"a secret {word}");
        var deleted = (await bobSocket.SendTextAsync(mine, $"deleted {word}")).GetProperty("messageId").GetGuid();
        using (await system.Client(bob).DeleteAsync($"/chat/{mine}/messages/{deleted}", Cancellation))
        {
        }

        var found = await system.Client(alice).GetFromJsonAsync<JsonElement>($"/chat/search?q={word}", Cancellation);

        var hit = Assert.Single(found.GetProperty("items").EnumerateArray());
        Assert.Equal($"the {word} is striped", hit.GetProperty("content").GetProperty("text").GetString());
        using var empty = await system.Client(alice).GetAsync("/chat/search?q=", Cancellation);
        await empty.AssertProblemAsync(HttpStatusCode.BadRequest);
    }
}
