using Messenger.BrowserTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messenger.BrowserTests;

public sealed class ReconnectTests(BrowserSystem system) : BrowserTest(system)
{
    [Fact]
    public async Task After_the_connection_drops_the_chat_receives_exactly_what_it_missed_and_delivers_what_was_written_offline()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var erin = await NewPersonAsync("Erin");
        var frank = await NewPersonAsync("Frank");
        using var erinApi = await ApiClient.RegisterAsync(App.BaseAddress, erin, cancellationToken);
        using var frankApi = await ApiClient.RegisterAsync(App.BaseAddress, frank, cancellationToken);
        var conversationId = await frankApi.OpenDirectConversationAsync(erinApi.UserId, cancellationToken);

        // Every chat socket of Erin's page goes through this route, so the test can cut it.
        var offline = false;
        IWebSocketRoute? current = null;
        await erin.Page.RouteWebSocketAsync("**/chat?*", socket =>
        {
            current = socket;
            if (offline)
            {
                socket.CloseAsync(new() { Code = 4000, Reason = "offline" });
                return;
            }

            socket.ConnectToServer();
        });

        await erin.LogInAsync();
        await erin.Page.GotoAsync($"/#/chats/{conversationId}");
        await frankApi.SendAsync(conversationId, "Before the tunnel", cancellationToken);
        await Expect(erin.MessageLog.GetByText("Before the tunnel")).ToBeVisibleAsync();

        offline = true;
        await current!.CloseAsync(new() { Code = 4000, Reason = "connection lost" });
        await Expect(erin.Page.GetByRole(AriaRole.Status).GetByText("Offline: reconnecting…")).ToBeVisibleAsync();
        await frankApi.SendAsync(conversationId, "In the tunnel 1", cancellationToken);
        await frankApi.SendAsync(conversationId, "In the tunnel 2", cancellationToken);
        await erin.MessageBox.FillAsync("Written offline");
        await erin.MessageBox.PressAsync("Enter");
        await Expect(erin.MessageLog.GetByText("Sending…")).ToBeVisibleAsync();

        offline = false;
        await Expect(erin.MessageLog.Locator(".message-text")).ToHaveTextAsync(
            ["Before the tunnel", "In the tunnel 1", "In the tunnel 2", "Written offline"]);
        await Expect(erin.MessageLog.GetByText("Sending…")).ToHaveCountAsync(0);
        Assert.Equal(
            ["Before the tunnel", "In the tunnel 1", "In the tunnel 2", "Written offline"],
            await frankApi.TextsAsync(conversationId, cancellationToken));
    }
}
