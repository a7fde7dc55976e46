using System.Text.RegularExpressions;
using Messenger.BrowserTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messenger.BrowserTests;

public sealed partial class AccessibilityTests(BrowserSystem system) : BrowserTest(system)
{
    [Fact]
    public async Task Every_form_control_of_every_screen_has_an_accessible_name()
    {
        var heidi = await NewPersonAsync("Heidi");
        await heidi.Page.GotoAsync("/#/register");
        await ExpectNamedControlsAsync(heidi.Page, "Create an account");
        await heidi.Page.GotoAsync("/#/login");
        await ExpectNamedControlsAsync(heidi.Page, "Log in");

        await heidi.RegisterAsync();
        foreach (var (link, heading) in new[] { ("Find people", "Find people"), ("Profile", "Your profile"), ("Devices", "Devices"), ("Friends", "Friends") })
        {
            await heidi.GoToAsync(link);
            await ExpectNamedControlsAsync(heidi.Page, heading);
        }
    }

    [Fact]
    public async Task A_profile_can_be_edited_with_the_keyboard_alone_and_errors_are_tied_to_their_field()
    {
        var ivan = await NewPersonAsync("Ivan");
        await ivan.RegisterAsync();
        await ivan.GoToAsync("Profile");
        var displayName = ivan.Page.GetByLabel("Display name");
        await Expect(displayName).ToHaveValueAsync(ivan.DisplayName);

        await displayName.FocusAsync();
        await displayName.FillAsync("Ivan the Traveller");
        await ivan.Page.Keyboard.PressAsync("Tab");
        await ivan.Page.Keyboard.TypeAsync("Maps, trains and tea.");
        await ivan.Page.Keyboard.PressAsync("Tab");
        await ivan.Page.Keyboard.TypeAsync("not a web address");
        await ivan.Page.Keyboard.PressAsync("Enter");

        var avatar = ivan.Page.GetByLabel("Avatar image address");
        await Expect(avatar).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(avatar).ToHaveAccessibleDescriptionAsync(AvatarError());
        await Expect(avatar).ToBeFocusedAsync();

        await avatar.FillAsync("");
        await avatar.PressAsync("Enter");
        await Expect(ivan.Main.GetByRole(AriaRole.Status).GetByText("Profile saved.")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(ivan.Page, "profile");
        await ivan.Page.ReloadAsync();
        await Expect(ivan.Page.GetByLabel("About you")).ToHaveValueAsync("Maps, trains and tea.");
    }

    private static async Task ExpectNamedControlsAsync(IPage page, string heading)
    {
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true })).ToBeVisibleAsync();
        var controls = page.Locator("input, select, textarea, button, a[href]");
        foreach (var control in await controls.AllAsync())
        {
            if (await control.IsVisibleAsync())
            {
                await Expect(control).ToHaveAccessibleNameAsync(NonBlank());
            }
        }
    }

    [GeneratedRegex(@"\S")]
    private static partial Regex NonBlank();

    [GeneratedRegex("http")]
    private static partial Regex AvatarError();
}
