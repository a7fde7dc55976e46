using System.Text.RegularExpressions;
using Messenger.BrowserTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messenger.BrowserTests;

public sealed class ChattingTests(BrowserSystem system) : BrowserTest(system)
{
    [Fact]
    public async Task Two_people_register_befriend_each_other_chat_live_see_history_after_a_reload_and_get_notified()
    {
        // Alice on a laptop-sized window, Bob on a phone-sized one (list and chat as separate screens).
        var alice = await NewPersonAsync("Alice");
        var bob = await NewPersonAsync("Bob", width: 390, height: 780);

        await alice.Page.GotoAsync("/");
        await Expect(alice.Page.GetByRole(AriaRole.Heading, new() { Name = "Log in" })).ToBeVisibleAsync();
        await Screenshots.SaveAsync(alice.Page, "login");
        await alice.RegisterAsync();
        await bob.RegisterAsync();

        // Alice finds Bob and asks; Bob hears of it through the bell.
        await alice.AskToBeFriendsAsync(bob);
        await Expect(bob.BellWithUnread()).ToBeVisibleAsync();
        await bob.AcceptFriendRequestFromAsync(alice);
        await Screenshots.SaveAsync(bob.Page, "friends");

        // Bob starts the conversation from his friends list.
        await bob.Page.GetByRole(AriaRole.Button, new() { Name = $"Message {alice.DisplayName}" }).ClickAsync();
        await Expect(bob.Page.GetByRole(AriaRole.Heading, new() { Name = alice.DisplayName })).ToBeVisibleAsync();
        // Narrow window: the chat replaces the list.
        await Expect(bob.Page.GetByRole(AriaRole.Heading, new() { Name = "Chats", Exact = true })).ToBeHiddenAsync();
        await bob.SendAsync("Hi Alice! Lunch tomorrow?");

        // Alice sees the new conversation with one unread message, live.
        await alice.GoToAsync("Chats");
        var conversation = alice.Page.GetByRole(AriaRole.Link, new() { Name = bob.DisplayName });
        await Expect(conversation).ToContainTextAsync("Hi Alice! Lunch tomorrow?");
        await Expect(conversation.GetByText("1", new() { Exact = true })).ToBeVisibleAsync();
        await Screenshots.SaveAsync(alice.Page, "conversation-list");
        await conversation.ClickAsync();
        await Expect(alice.MessageLog.GetByText("Hi Alice! Lunch tomorrow?")).ToBeVisibleAsync();

        // Bob sees that Alice read it, and that she is typing.
        await Expect(bob.MessageLog.GetByText("Seen", new() { Exact = true })).ToBeVisibleAsync();
        await alice.MessageBox.FillAsync("Sure");
        await Expect(bob.Page.GetByText($"{alice.DisplayName} is typing…")).ToBeVisibleAsync();
        await alice.MessageBox.FillAsync("Sure, at noon by the fountain?");
        await alice.MessageBox.PressAsync("Enter");
        await Expect(bob.MessageLog.GetByText("Sure, at noon by the fountain?")).ToBeVisibleAsync();
        await bob.SendAsync("Perfect, see you there");
        await Expect(alice.MessageLog.GetByText("Perfect, see you there")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(alice.Page, Screenshots.ChatView);
        await Screenshots.SaveAsync(bob.Page, "chat-view-narrow");

        // After a reload Bob is still signed in and sees the whole conversation, in order.
        await bob.Page.ReloadAsync();
        await Expect(bob.MessageLog.Locator(".message-text")).ToHaveTextAsync(
            ["Hi Alice! Lunch tomorrow?", "Sure, at noon by the fountain?", "Perfect, see you there"]);

        // Alice looks elsewhere; Bob's next message reaches her as a notification.
        await alice.GoToAsync("Friends");
        await alice.Page.GetByRole(AriaRole.Link, new() { Name = "Notifications" }).ClickAsync();
        await alice.Page.GetByRole(AriaRole.Button, new() { Name = "Mark all as read" }).ClickAsync();
        await Expect(alice.BellWithUnread()).ToBeHiddenAsync();
        await bob.SendAsync("Bring an umbrella");
        await Expect(alice.BellWithUnread()).ToBeVisibleAsync();
        var notification = alice.Main.GetByRole(AriaRole.Button, new() { NameRegex = new Regex($"^Unread: .*{bob.Username}.*Bring an umbrella") });
        await Expect(notification).ToBeVisibleAsync();
        await Screenshots.SaveAsync(alice.Page, "notifications");

        // Opening it leads to the conversation.
        await notification.ClickAsync();
        await Expect(alice.MessageLog.GetByText("Bring an umbrella")).ToBeVisibleAsync();
        await Expect(alice.BellWithUnread()).ToBeHiddenAsync();
        Assert.Empty(alice.PageProblems);
        Assert.Empty(bob.PageProblems);
    }

    [Fact]
    public async Task Edits_reactions_and_deletions_reach_the_other_side_live()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var jack = await NewPersonAsync("Jack");
        var kim = await NewPersonAsync("Kim");
        using var jackApi = await ApiClient.RegisterAsync(App.BaseAddress, jack, cancellationToken);
        using var kimApi = await ApiClient.RegisterAsync(App.BaseAddress, kim, cancellationToken);
        var conversationId = await jackApi.OpenDirectConversationAsync(kimApi.UserId, cancellationToken);
        await jack.LogInAsync();
        await kim.LogInAsync();
        await jack.Page.GotoAsync($"/#/chats/{conversationId}");
        await kim.Page.GotoAsync($"/#/chats/{conversationId}");

        await jack.SendAsync("See you at 7");
        await jack.SendAsync("Typo here");
        var first = jack.MessageLog.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "See you at 7" });
        await first.HoverAsync();
        await first.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await jack.MessageBox.FillAsync("See you at 8");
        await jack.MessageBox.PressAsync("Enter");
        await Expect(kim.MessageLog.GetByText("See you at 8")).ToBeVisibleAsync();
        await Expect(kim.MessageLog.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "See you at 8" })).ToContainTextAsync("(edited)");

        var second = kim.MessageLog.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "Typo here" });
        await second.HoverAsync();
        await second.GetByRole(AriaRole.Button, new() { Name = "React with thumbs up" }).ClickAsync();
        await Expect(jack.MessageLog.GetByRole(AriaRole.Button, new() { Name = "👍 1" })).ToBeVisibleAsync();

        var typo = jack.MessageLog.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "Typo here" });
        await typo.HoverAsync();
        await typo.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(kim.MessageLog.GetByText("Typo here")).ToHaveCountAsync(0);
        await Expect(kim.MessageLog.GetByText("Message deleted")).ToBeVisibleAsync();
        Assert.Empty(jack.PageProblems);
        Assert.Empty(kim.PageProblems);
    }

    [Fact]
    public async Task Earlier_messages_load_on_demand_back_to_the_beginning_of_the_conversation()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var carol = await NewPersonAsync("Carol");
        var dave = await NewPersonAsync("Dave");
        using var carolApi = await ApiClient.RegisterAsync(App.BaseAddress, carol, cancellationToken);
        using var daveApi = await ApiClient.RegisterAsync(App.BaseAddress, dave, cancellationToken);
        var conversationId = await daveApi.OpenDirectConversationAsync(carolApi.UserId, cancellationToken);
        for (var i = 1; i <= 45; i++)
        {
            await daveApi.SendAsync(conversationId, $"Note {i}", cancellationToken);
        }

        await carol.LogInAsync();
        await carol.Page.GotoAsync($"/#/chats/{conversationId}");

        await Expect(carol.MessageLog.GetByText("Note 45", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(carol.MessageLog.GetByText("Note 15", new() { Exact = true })).ToHaveCountAsync(0);
        var loadEarlier = carol.Page.GetByRole(AriaRole.Button, new() { Name = "Load earlier messages" });
        var beginning = carol.MessageLog.GetByText("This is the beginning of the conversation.");
        await Expect(loadEarlier).ToBeVisibleAsync();

        // Scrolling up to the top of the log loads the page before it (the button above the first
        // message does the same for the keyboard; bringing it into view already scrolls to the top).
        await carol.MessageLog.HoverAsync();
        for (var wheel = 0; wheel < 40 && !await beginning.IsVisibleAsync(); wheel++)
        {
            // A wheel does not wait for the scroll it causes; a page load keeps the reader's place, so
            // the next wheel goes on up from there.
            await carol.Page.Mouse.WheelAsync(0, -5_000);
            await carol.Page.WaitForTimeoutAsync(250);
            await Expect(carol.MessageLog).Not.ToHaveAttributeAsync("aria-busy", "true");
        }

        await Expect(carol.MessageLog.GetByText("Note 1", new() { Exact = true })).ToBeAttachedAsync();
        await Expect(beginning).ToBeVisibleAsync();
        await Expect(loadEarlier).ToBeHiddenAsync();
        await Expect(carol.MessageLog.Locator(".message-text")).ToHaveCountAsync(45);
    }
}
