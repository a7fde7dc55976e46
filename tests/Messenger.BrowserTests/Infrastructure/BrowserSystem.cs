using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Messenger.EndToEndTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Messenger.BrowserTests.Infrastructure;

/// <summary>
/// The running messenger (the Aspire app host with random ports, as <c>scripts/run.sh</c> starts
/// it) and Debian's Chromium driven by Playwright. <c>MESSENGER_TEST_URL</c> points the tests at a
/// messenger that is already running instead (e.g. http://localhost:8080 from run.sh).
/// </summary>
public sealed class BrowserSystem : IAsyncLifetime
{
    public const string UrlVariable = "MESSENGER_TEST_URL";

    private static readonly string[] ChromiumPaths = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private MessengerApp? messenger;
    private IPlaywright? playwright;
    private IBrowser? browser;

    /// <summary>The gateway: the one origin of the web client and the API.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser => browser ?? throw new InvalidOperationException("The browser has not started.");

    public async ValueTask InitializeAsync()
    {
        // Fail before starting the messenger when there is no browser to test it with.
        var chromium = ChromiumPaths.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
            $"Chromium is not installed (looked for {string.Join(" and ", ChromiumPaths)}). " +
            "Run `bash scripts/install-deps.sh --browser` (scripts/test.sh does) to install Debian's chromium package.");

        BaseAddress = Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } url
            ? new Uri(url)
            : await StartMessengerAsync();

        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
        // Events travel between services (registration → profiles → search; messages → notifications):
        // give the assertions time for that, never a fixed sleep.
        Assertions.SetDefaultExpectTimeout(15_000);
    }

    private async Task<Uri> StartMessengerAsync()
    {
        messenger = new MessengerApp();
        await messenger.InitializeAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        var app = messenger.App;
        foreach (var service in app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>())
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(service.Name, timeout.Token);
        }

        return app.GetEndpoint("gateway", "http");
    }

    /// <summary>A fresh browser profile (its own storage: another person, or another device) with one page.</summary>
    public async Task<IPage> NewPageAsync(int width = 1200, int height = 760)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new() { Width = width, Height = height },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        var page = await context.NewPageAsync();
        // Confirmations ("Log out 1 other device?") are answered yes, as the user would.
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (messenger is not null)
        {
            await messenger.DisposeAsync();
        }
    }
}
