using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Chat.Tests.Infrastructure;

namespace Chat.Tests;

/// <summary>What every messenger service exposes: health and its OpenAPI document.</summary>
public sealed class PlatformTests(ChatSystem system) : IClassFixture<ChatSystem>
{
    [Fact]
    public async Task Health_is_public_and_ready_checks_the_stores()
    {
        var client = system.Chat.CreateClient();

        using var live = await client.GetAsync("/health/live", TestContext.Current.CancellationToken);
        using var ready = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("postgres", checks, StringComparison.Ordinal);
        Assert.Contains("redis", checks, StringComparison.Ordinal);
        Assert.Contains("attachments", checks, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_chat_routes()
    {
        var document = await system.Chat.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json", TestContext.Current.CancellationToken);

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/chat", paths);
        Assert.Contains("/chat/{conversationId}", paths);
        Assert.Contains("/chat/search", paths);
        Assert.Contains("/chat/{conversationId}/messages/{messageId}", paths);
        Assert.Contains("/chat/{conversationId}/members", paths);
        Assert.Contains("/chat/attachments", paths);
        Assert.Contains("/chat/attachments/{attachmentId}", paths);
        Assert.Contains("/chat/attachments/{attachmentId}/thumbnail", paths);
    }
}
