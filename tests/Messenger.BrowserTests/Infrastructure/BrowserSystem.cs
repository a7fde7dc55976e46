using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Auth.Tests.Infrastructure;
using Messenger.EndToEndTests.Infrastructure;
using Messenger.Testing;
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
    // Generous: on two cores the whole messenger starts beside another test project's (the browser
    // tests' or the other event log's), and its five services took 2.5 min to report healthy once.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);

    /// <summary>How the web client lists the provider: "Log in with Local ID".</summary>
    public const string ProviderDisplayName = "Local ID";

    private MessengerApp? messenger;
    private IPlaywright? playwright;
    private IBrowser? browser;

    /// <summary>The gateway: the one origin of the web client and the API.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser => browser ?? throw new InvalidOperationException("The browser has not started.");

    /// <summary>The OpenID Connect provider Auth offers as "local" (null against a messenger started elsewhere).</summary>
    public TestOidcProvider? Provider { get; private set; }

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

    /// <summary>
    /// Starts the messenger with Auth offering an OpenID Connect provider, then the provider itself on
    /// the address Auth was given (its database in the messenger's PostgreSQL), accepting the web
    /// client's callback on the gateway, whose port is known only now.
    /// </summary>
    private async Task<Uri> StartMessengerAsync()
    {
        var providerPort = LoopbackPorts.Unused();
        messenger = new MessengerApp
        {
            Configure = builder =>
            {
                var auth = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "auth");
                builder.CreateResourceBuilder(auth)
                    .WithEnvironment("OAuth__Providers__local__Authority", "http://127.0.0.1:" + providerPort + "/")
                    .WithEnvironment("OAuth__Providers__local__ClientId", TestOidcProvider.ClientId)
                    .WithEnvironment("OAuth__Providers__local__DisplayName", ProviderDisplayName)
                    .WithEnvironment("OAuth__Providers__local__RequireHttps", "false");
            },
        };
        await messenger.InitializeAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        var app = messenger.App;
        foreach (var service in app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>())
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(service.Name, timeout.Token);
        }

        var gateway = app.GetEndpoint("gateway", "http");
        var postgres = app.GetEndpoint("postgres", "tcp");
        Provider = await TestOidcProvider.StartAsync(
            $"Host=127.0.0.1;Port={postgres.Port};Username=postgres;Database=oidc", providerPort, [new Uri(gateway, "/oauth/callback.html")]);
        return gateway;
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
        if (Provider is not null)
        {
            await Provider.DisposeAsync();
        }

        if (messenger is not null)
        {
            await messenger.DisposeAsync();
        }
    }
}
