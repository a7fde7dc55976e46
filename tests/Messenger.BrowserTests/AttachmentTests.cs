using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using System.Text.RegularExpressions;
using Messenger.BrowserTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Messenger.BrowserTests;

public sealed partial class AttachmentTests(BrowserSystem system) : BrowserTest(system)
{
    [Fact]
    public async Task A_picture_sent_from_one_browser_shows_as_a_thumbnail_on_the_other_that_opens_the_full_picture_and_a_file_as_a_download()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var gina = await NewPersonAsync("Gina");
        var hugo = await NewPersonAsync("Hugo");
        using var ginaApi = await ApiClient.RegisterAsync(App.BaseAddress, gina, cancellationToken);
        using var hugoApi = await ApiClient.RegisterAsync(App.BaseAddress, hugo, cancellationToken);
        var conversationId = await ginaApi.OpenDirectConversationAsync(hugoApi.UserId, cancellationToken);
        await gina.LogInAsync();
        await hugo.LogInAsync();
        await gina.Page.GotoAsync($"/#/chats/{conversationId}");
        await hugo.Page.GotoAsync($"/#/chats/{conversationId}");

        // Over a megabyte: more than the gateway lets through for any other route.
        var picture = NoisePng(700, 500);
        Assert.True(picture.Length > 1024 * 1024);
        await gina.Page.GetByLabel("Attach a picture or file").SetInputFilesAsync(new FilePayload { Name = "sunset.png", MimeType = "image/png", Buffer = picture });

        var thumbnail = hugo.MessageLog.GetByRole(AriaRole.Img, new() { Name = "Photo: sunset.png" });
        // The thumbnail, not the full picture, is what the conversation loads; decode() fails if it did not load.
        await Expect(thumbnail).ToHaveAttributeAsync("src", ThumbnailLink());
        await thumbnail.EvaluateAsync("image => image.decode()");
        Assert.True(await thumbnail.EvaluateAsync<int>("image => image.naturalWidth") > 0, "Hugo's thumbnail did not load.");
        var ginasCopy = gina.MessageLog.GetByRole(AriaRole.Img, new() { Name = "Photo: sunset.png" });
        await Expect(ginasCopy).ToHaveAttributeAsync("src", ThumbnailLink());
        await ginasCopy.EvaluateAsync("image => image.decode()");

        var fullPicture = await hugo.Page.RunAndWaitForPopupAsync(() => thumbnail.ClickAsync());
        await fullPicture.WaitForLoadStateAsync();
        Assert.Contains("/chat/attachments/", fullPicture.Url, StringComparison.Ordinal);
        Assert.Equal(700, await fullPicture.EvaluateAsync<int>("() => document.images[0]?.naturalWidth ?? 0"));
        await fullPicture.CloseAsync();

        await gina.Page.GetByLabel("Attach a picture or file").SetInputFilesAsync(
            new FilePayload { Name = "agenda.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("1. Lunch\n2. Fountain\n") });
        var file = hugo.MessageLog.GetByRole(AriaRole.Link, new() { Name = "agenda.txt (21 bytes)" });
        await Expect(file).ToBeVisibleAsync();
        await Expect(file).ToHaveAttributeAsync("download", "agenda.txt");
        var download = await hugo.Page.RunAndWaitForDownloadAsync(() => file.ClickAsync());
        await using (var saved = await download.CreateReadStreamAsync())
        using (var reader = new StreamReader(saved))
        {
            Assert.Equal("1. Lunch\n2. Fountain\n", await reader.ReadToEndAsync(cancellationToken));
        }

        await Screenshots.SaveAsync(hugo.Page, "attachments");
        Assert.Empty(gina.PageProblems);
        Assert.Empty(hugo.PageProblems);
    }

    [GeneratedRegex(@"^/chat/attachments/[0-9a-f-]+/thumbnail\?u=[0-9a-f]+&e=\d+&s=[\w-]+$")]
    private static partial Regex ThumbnailLink();

    /// <summary>A PNG of random pixels (they do not compress, so the file is about width × height × 3 bytes).</summary>
    private static byte[] NoisePng(int width, int height)
    {
        var raw = new byte[height * ((width * 3) + 1)];
        Random.Shared.NextBytes(raw);
        for (var row = 0; row < height; row++)
        {
            raw[row * ((width * 3) + 1)] = 0;   // filter: none
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        return [.. (byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], .. Chunk("IHDR", header), .. Chunk("IDAT", compressed.ToArray()), .. Chunk("IEND", [])];
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32.HashToUInt32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }
}
