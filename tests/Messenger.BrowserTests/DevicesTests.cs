using Messenger.BrowserTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messenger.BrowserTests;

public sealed class DevicesTests(BrowserSystem system) : BrowserTest(system)
{
    [Fact]
    public async Task Logging_out_the_other_devices_from_the_devices_page_signs_them_out()
    {
        var grace = await NewPersonAsync("Grace");
        await grace.RegisterAsync();
        // The same account in a second browser profile: another device.
        var phone = new Person(await NewPageAsync(390, 780), grace.Username, grace.DisplayName);
        await phone.LogInAsync();

        await grace.GoToAsync("Devices");
        var devices = grace.Main.GetByRole(AriaRole.List);
        await Expect(devices.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
        await Expect(devices.GetByText("(this device)")).ToHaveCountAsync(1);
        await Screenshots.SaveAsync(grace.Page, "sessions");

        await grace.Page.GetByRole(AriaRole.Button, new() { Name = "Log out all other devices" }).ClickAsync();

        await Expect(devices.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
        // The phone's chat socket is closed by the server and the app shows the login page.
        await Expect(phone.Page.GetByRole(AriaRole.Heading, new() { Name = "Log in" })).ToBeVisibleAsync();
        await Expect(phone.Page.GetByText("This device was logged out.")).ToBeVisibleAsync();
        // This device stays signed in.
        await grace.GoToAsync("Chats");
        await Expect(grace.Page.GetByRole(AriaRole.Heading, new() { Name = "Chats", Exact = true })).ToBeVisibleAsync();
    }
}
