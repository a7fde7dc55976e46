using Auth.Tests.Infrastructure;
using System.Text.RegularExpressions;
using Messenger.BrowserTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messenger.BrowserTests;

public sealed partial class SignInTests(BrowserSystem system) : BrowserTest(system)
{
    [Fact]
    public async Task A_wrong_password_shows_the_servers_explanation_and_keeps_the_user_on_the_login_page()
    {
        var liam = await NewPersonAsync("Liam");
        await liam.RegisterAsync();
        var otherDevice = new Person(await NewPageAsync(), liam.Username, liam.DisplayName);

        await otherDevice.Page.GotoAsync("/#/login");
        await otherDevice.Page.GetByLabel("Username or e-mail").FillAsync(liam.Username);
        await otherDevice.Page.GetByLabel("Password", new() { Exact = true }).FillAsync("not-the-password-7");
        await otherDevice.Page.GetByRole(AriaRole.Button, new() { Name = "Log in", Exact = true }).ClickAsync();

        await Expect(otherDevice.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The username or password is wrong.");
        await Expect(otherDevice.Page.GetByRole(AriaRole.Heading, new() { Name = "Log in" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Registration_errors_appear_next_to_the_field_they_concern()
    {
        var mia = await NewPersonAsync("Mia");
        await mia.Page.GotoAsync("/#/register");
        await mia.Page.GetByLabel("Username", new() { Exact = true }).FillAsync(mia.Username);
        await mia.Page.GetByLabel("Password", new() { Exact = true }).FillAsync("short");
        await mia.Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        var password = mia.Page.GetByLabel("Password", new() { Exact = true });
        await Expect(password).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(password).ToHaveAccessibleDescriptionAsync(AtLeastEight());
        await Expect(password).ToBeFocusedAsync();
    }

    [Fact]
    public async Task The_login_page_offers_only_the_sign_in_providers_the_server_lists()
    {
        var page = await NewPageAsync();
        var providers = page.WaitForResponseAsync(response => response.Url.EndsWith("/oauth/providers", StringComparison.Ordinal));
        await page.GotoAsync("/#/login");
        var listed = await (await providers).JsonAsync();

        var count = listed!.Value.GetProperty("items").GetArrayLength();
        await Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = LogInWith() })).ToHaveCountAsync(count);
    }

    [Fact]
    public async Task Log_in_with_the_provider_signs_in_to_an_account_named_after_the_provider_profile()
    {
        if (App.Provider is not { } provider)
        {
            Assert.Skip($"The messenger at {BrowserSystem.UrlVariable} was started without the test's OpenID Connect provider.");
            return;
        }

        var name = "olga" + Guid.NewGuid().ToString("N")[..8];
        provider.SignsInWithoutHint = new TestOidcProvider.Person(Guid.NewGuid().ToString(), $"{name}@idp.example", true, name, "Olga Idp");
        var page = await NewPageAsync();
        await page.GotoAsync("/#/login");

        // The button sends the browser to the provider, which signs Olga in and sends it back to the
        // callback page; that redeems the code (PKCE) at POST /oauth and opens the app.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Log in with {BrowserSystem.ProviderDisplayName}" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Chats", Exact = true })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Profile" }).ClickAsync();
        await Expect(page.GetByText($"Signed in as @{name}")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_provider_callback_page_refuses_a_sign_in_this_browser_did_not_start()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/oauth/callback.html?code=stolen-code&state=guessed");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign-in failed" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not started here");
        // The code does not stay in the address bar or the history.
        Assert.DoesNotContain("stolen-code", page.Url, StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the login page" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Log in" })).ToBeVisibleAsync();
    }

    [GeneratedRegex("at least 8 characters")]
    private static partial Regex AtLeastEight();

    [GeneratedRegex("^Log in with ")]
    private static partial Regex LogInWith();
}
