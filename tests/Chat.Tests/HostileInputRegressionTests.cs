using System.Net;
using System.Net.WebSockets;
using System.Net.Http.Json;
using System.Text;
using Chat.Tests.Infrastructure;

namespace Chat.Tests;

/// <summary>Inputs the security fuzzer found answered with 5xx or "unavailable"; each now gets a precise 400.</summary>
public sealed class HostileInputRegressionTests(ChatSystem system) : IClassFixture<ChatSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_message_with_a_NUL_character_is_refused_with_400_instead_of_failing_to_store()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);

        using var text = await system.Client(alice).PostAsJsonAsync($"/chat/{conversation}/messages",
            new { clientMessageId = "nul-1", content = new { kind = "text", text = "a\u0000b" } }, Cancellation);
        using var id = await system.Client(alice).PostAsJsonAsync($"/chat/{conversation}/messages",
            new { clientMessageId = "nul\u0000", content = new { kind = "text", text = "fine" } }, Cancellation);
        await using var socket = await system.ConnectAsync(alice);
        await socket.SendAsync(new { type = "send", clientMessageId = "nul-2", conversationId = conversation, content = new { kind = "text", text = "x\u0000" } });
        var answer = await socket.WaitForAsync("error");

        Assert.Equal(HttpStatusCode.BadRequest, text.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, id.StatusCode);
        Assert.Equal("invalid", answer.GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_upload_labelled_multipart_whose_body_is_not_multipart_gets_400()
    {
        var alice = await system.NewUserAsync("alice");
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{a:1}"));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=x");

        using var response = await system.Client(alice).PostAsync("/chat/attachments", content, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Text_that_is_not_UTF8_closes_the_socket_with_1007_even_while_answers_are_being_sent()
    {
        var alice = await system.NewUserAsync("alice");
        var invalid = Encoding.UTF8.GetBytes("{\"type\":\"ping\"}").Prepend((byte)0xFF).ToArray();
        var statuses = new List<WebSocketCloseStatus?>();
        for (var i = 0; i < 10; i++)
        {
            await using var socket = await system.ConnectAsync(alice);
            for (var j = 0; j < 20; j++)
            {
                await socket.SendAsync(new { type = "ping" });
            }

            await socket.SendBytesAsync(invalid, WebSocketMessageType.Text);
            statuses.Add(await socket.Closed.WaitAsync(ChatSocket.Timeout, Cancellation));
        }

        Assert.All(statuses, status => Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status));
    }

    [Fact]
    public async Task A_reaction_with_a_control_character_is_refused_as_invalid_instead_of_failing_to_store()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(alice);
        var message = (await socket.SendTextAsync(conversation, "react to me")).GetProperty("messageId").GetGuid();

        await socket.SendAsync(new { type = "react", conversationId = conversation, messageId = message, emoji = "\u0000", requestId = "nul" });
        await socket.SendAsync(new { type = "unreact", conversationId = conversation, messageId = message, emoji = "x\u0007", requestId = "bell" });
        var nul = await socket.WaitForAsync("error", e => e.TryGetProperty("requestId", out var id) && id.GetString() == "nul");
        var bell = await socket.WaitForAsync("error", e => e.TryGetProperty("requestId", out var id) && id.GetString() == "bell");
        using var http = await system.Client(alice).PutAsync($"/chat/{conversation}/messages/{message}/reactions/%00", null, Cancellation);

        Assert.Equal("invalid", nul.GetProperty("code").GetString());
        Assert.Equal("invalid", bell.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, http.StatusCode);
    }

    [Theory]
    [InlineData("%00")]
    [InlineData("ab%00ab")]
    public async Task A_search_text_with_a_NUL_character_gets_400_instead_of_reaching_the_database(string q)
    {
        var alice = await system.NewUserAsync("alice");
        // With no conversation there is nothing to search and the database is never asked.
        await system.DirectAsync(alice, await system.NewUserAsync("bob"));

        using var response = await system.Client(alice).GetAsync("/chat/search?q=" + q, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
