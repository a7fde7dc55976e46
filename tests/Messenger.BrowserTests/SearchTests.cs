using Messenger.BrowserTests.Infrastructure;
using Microsoft.Playwright;

namespace Messenger.BrowserTests;

public sealed class SearchTests(BrowserSystem system) : BrowserTest(system)
{
    [Fact]
    public async Task An_earlier_search_answered_late_does_not_replace_the_latest_results()
    {
        var nora = await NewPersonAsync("Nora");
        await nora.RegisterAsync();
        var earlier = "nobody_" + Guid.NewGuid().ToString("N")[..8];
        var latest = "nobody_" + Guid.NewGuid().ToString("N")[..8];
        // The server answers the earlier search 2 s late, after the latest one.
        await nora.Page.RouteAsync(url => url.Contains("/user/search", StringComparison.Ordinal), async route =>
        {
            if (route.Request.Url.Contains(earlier, StringComparison.Ordinal))
            {
                await Task.Delay(2_000);
            }

            await route.ContinueAsync();
        });
        var lateAnswer = nora.Page.WaitForResponseAsync(response => response.Url.Contains(earlier, StringComparison.Ordinal));
        await nora.GoToAsync("Find people");
        var box = nora.Page.GetByLabel("Name or username");
        var search = nora.Page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true });

        await box.FillAsync(earlier);
        await search.ClickAsync();
        await box.FillAsync(latest);
        await search.ClickAsync();
        await Assertions.Expect(nora.Main.GetByText($"Nobody found for “{latest}”.")).ToBeVisibleAsync();
        await lateAnswer;
        // Give the page the moment it would take to show the late answer.
        await nora.Page.EvaluateAsync("() => new Promise(resolve => setTimeout(resolve, 300))");

        Assert.Equal($"Nobody found for “{latest}”.", await nora.Main.Locator(".search-summary").InnerTextAsync());
        Assert.Empty(nora.PageProblems);
    }

    [Fact]
    public async Task A_friend_request_still_shows_as_sent_after_a_search_answered_later_redraws_the_results()
    {
        var nora = await NewPersonAsync("Nora");
        var omar = await NewPersonAsync("Omar");
        await nora.RegisterAsync();
        await omar.RegisterAsync();
        var add = await nora.FindAsync(omar);

        // Nora searches again; the server answers 2 s late, after she has asked Omar.
        await nora.Page.RouteAsync(url => url.Contains("/user/search", StringComparison.Ordinal), async route =>
        {
            await Task.Delay(2_000);
            await route.ContinueAsync();
        });
        var lateAnswer = nora.Page.WaitForResponseAsync(response => response.Url.Contains("/user/search", StringComparison.Ordinal));
        await nora.Page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        await add.ClickAsync();
        var outcome = nora.SearchResult(omar).GetByRole(AriaRole.Status);
        await Assertions.Expect(outcome).ToHaveTextAsync("Request sent.");
        await lateAnswer;
        // Give the page the moment it would take to redraw the results.
        await nora.Page.EvaluateAsync("() => new Promise(resolve => setTimeout(resolve, 300))");

        Assert.Equal("Request sent.", await outcome.InnerTextAsync());
        Assert.True(await add.IsDisabledAsync(), "Add friend can be clicked again for someone already asked.");
        Assert.Empty(nora.PageProblems);
    }
}
