using System.Net;
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
}
