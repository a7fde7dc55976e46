using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messenger.BrowserTests.Infrastructure;

/// <summary>
/// Someone using the web client in their own browser profile. Every step goes through what a user
/// sees: role and label locators (so each control must have an accessible name) and web-first
/// assertions that wait for the page.
/// </summary>
public sealed partial class Person
{
    public const string Password = "violet-harbour-91";

    private readonly List<string> problems = [];

    public Person(IPage page, string username, string displayName)
    {
        Page = page;
        Username = username;
        DisplayName = displayName;
        // Uncaught script errors and anything the Content-Security-Policy blocked are bugs of the client.
        page.PageError += (_, error) => problems.Add("uncaught: " + error);
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add("CSP: " + message.Text);
            }
        };
    }

    public IPage Page { get; }

    public string Username { get; }

    public string DisplayName { get; }

    /// <summary>Script errors and CSP violations seen so far in this person's page.</summary>
    public IReadOnlyList<string> PageProblems => problems;

    /// <summary>A person with a new, unique username (lower case, as Auth stores it).</summary>
    public static async Task<Person> NewAsync(BrowserSystem system, string firstName, int width = 1200, int height = 760)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        return new Person(await system.NewPageAsync(width, height), $"{firstName.ToLowerInvariant()}_{suffix}", $"{firstName} {suffix[..4]}");
    }

    public ILocator Main => Page.GetByRole(AriaRole.Main);

    public ILocator MessageLog => Page.GetByRole(AriaRole.Log);

    public ILocator MessageBox => Page.GetByLabel("Message", new() { Exact = true });

    public async Task RegisterAsync()
    {
        await Page.GotoAsync("/#/register");
        await Page.GetByLabel("Username", new() { Exact = true }).FillAsync(Username);
        await Page.GetByLabel("Display name (optional)").FillAsync(DisplayName);
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Chats", Exact = true })).ToBeVisibleAsync();
    }

    public async Task LogInAsync()
    {
        await Page.GotoAsync("/#/login");
        await Page.GetByLabel("Username or e-mail").FillAsync(Username);
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Chats", Exact = true })).ToBeVisibleAsync();
    }

    /// <summary>Follows a link of the main navigation (or the bell).</summary>
    public Task GoToAsync(string link) =>
        Page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = link }).ClickAsync();

    /// <summary>Finds someone on the "Find people" page and sends them a friend request.</summary>
    public async Task AskToBeFriendsAsync(Person other)
    {
        var add = await FindAsync(other);
        await add.ClickAsync();
        // The row's own outcome, so that a failure says what the page answered instead.
        await Expect(SearchResult(other).GetByRole(AriaRole.Status)).ToHaveTextAsync("Request sent.");
    }

    /// <summary>Searches for someone on the "Find people" page until they are found; their "Add friend" button.</summary>
    public async Task<ILocator> FindAsync(Person other)
    {
        await GoToAsync("Find people");
        var add = AddAsFriendButton(other);
        // The other person's profile is created from their registration event: search until it is there.
        for (var attempt = 0; ; attempt++)
        {
            await Page.GetByLabel("Name or username").FillAsync(other.Username);
            await Page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
            try
            {
                await Expect(add).ToBeVisibleAsync(new() { Timeout = 1_000 });
                return add;
            }
            catch (PlaywrightException) when (attempt < 15)
            {
            }
        }
    }

    public ILocator AddAsFriendButton(Person other) => Main.Locator(AddAsFriend(other));

    /// <summary>Someone's row in the search results (a filter's inner locator is relative to the row).</summary>
    public ILocator SearchResult(Person other) => Main.GetByRole(AriaRole.Listitem).Filter(new() { Has = AddAsFriend(other) });

    private ILocator AddAsFriend(Person other) => Page.GetByRole(AriaRole.Button, new() { Name = $"Add {other.Username} as a friend" });

    public async Task AcceptFriendRequestFromAsync(Person other)
    {
        await GoToAsync("Friends");
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Accept {other.Username}" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = $"Message {other.DisplayName}" })).ToBeVisibleAsync();
    }

    public async Task SendAsync(string text)
    {
        await MessageBox.FillAsync(text);
        await MessageBox.PressAsync("Enter");
        await Expect(MessageLog.GetByText(text, new() { Exact = true })).ToBeVisibleAsync();
    }

    /// <summary>The bell's accessible name says how many notifications are unread.</summary>
    public ILocator BellWithUnread() => Page.GetByRole(AriaRole.Link, new() { NameRegex = UnreadBell() });

    [GeneratedRegex(@"^Notifications, \d+ unread$")]
    private static partial Regex UnreadBell();
}
