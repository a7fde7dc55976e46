using Microsoft.Playwright;

namespace Messenger.BrowserTests.Infrastructure;

/// <summary>
/// A test's browser profiles, closed when the test ends. A finished test's pages would otherwise
/// keep their chat sockets, notification streams and renderer processes until the end of the run,
/// taking connections, CPU and memory from the tests after it.
/// </summary>
public abstract class BrowserTest(BrowserSystem app) : IAsyncDisposable
{
    private readonly List<IBrowserContext> profiles = [];

    protected BrowserSystem App => app;

    /// <summary>Someone new, in a browser profile of their own.</summary>
    protected async Task<Person> NewPersonAsync(string firstName, int width = 1200, int height = 760)
    {
        var person = await Person.NewAsync(app, firstName, width, height);
        profiles.Add(person.Page.Context);
        return person;
    }

    /// <summary>A fresh browser profile with one page (another device of someone, or nobody signed in yet).</summary>
    protected async Task<IPage> NewPageAsync(int width = 1200, int height = 760)
    {
        var page = await app.NewPageAsync(width, height);
        profiles.Add(page.Context);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var profile in profiles)
        {
            await profile.CloseAsync();
        }

        GC.SuppressFinalize(this);
    }
}
