using Microsoft.Playwright;

namespace Messenger.BrowserTests.Infrastructure;

/// <summary>
/// Screenshots of the main screens, saved under <c>TestResults/screenshots/</c> at the repository
/// root (CI keeps that folder as the run's artifacts). With <c>MESSENGER_UPDATE_README_SCREENSHOT=1</c>
/// the chat view is also copied to <c>docs/images/chat-view.png</c>, the README's picture.
/// </summary>
public static class Screenshots
{
    public const string ChatView = "chat-view";

    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    public static string Directory => Path.Combine(Root.Value, "TestResults", "screenshots");

    public static async Task SaveAsync(IPage page, string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        if (name == ChatView && Environment.GetEnvironmentVariable("MESSENGER_UPDATE_README_SCREENSHOT") == "1")
        {
            File.Copy(path, Path.Combine(Root.Value, "docs", "images", "chat-view.png"), overwrite: true);
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Messenger.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Messenger.slnx above {AppContext.BaseDirectory}.");
    }
}
