using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Chat.Api.Domain.Attachments;
using Chat.Tests.Infrastructure;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace Chat.Tests;

/// <summary>Uploading, sending, downloading and sweeping attachments (docs/decisions/0060), over real sockets with a real blob folder.</summary>
public sealed class AttachmentTests(AttachmentSystem system) : IClassFixture<AttachmentSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_uploaded_file_sent_in_a_message_downloads_as_the_same_bytes_for_the_other_participant()
    {
        var (alice, bob, conversation) = await PairAsync();
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        var upload = await system.UploadAsync(alice, bytes, "backup.bin");
        Assert.Equal("file", upload.GetProperty("kind").GetString());
        Assert.Equal("application/octet-stream", upload.GetProperty("mimeType").GetString());
        Assert.Equal(bytes.Length, upload.GetProperty("size").GetInt64());
        await using var aliceSocket = await system.ConnectAsync(alice);
        await using var bobSocket = await system.ConnectAsync(bob);

        // The client's name, size and type are ignored: the record's are stored.
        await aliceSocket.SendAsync(new
        {
            type = "send",
            clientMessageId = "file-1",
            conversationId = conversation,
            content = new { kind = "file", attachmentId = upload.GetProperty("attachmentId").GetGuid(), name = "lies.exe", size = 1, mimeType = "text/html", text = "the backup" },
        });
        await aliceSocket.WaitForAsync("ack");

        var content = (await bobSocket.WaitForAsync("message")).GetProperty("message").GetProperty("content");
        Assert.Equal("backup.bin", content.GetProperty("name").GetString());
        Assert.Equal(bytes.Length, content.GetProperty("size").GetInt64());
        Assert.Equal("application/octet-stream", content.GetProperty("mimeType").GetString());
        Assert.Equal("the backup", content.GetProperty("text").GetString());
        var attachmentId = content.GetProperty("attachmentId").GetGuid();

        using var download = await system.Client(bob).GetAsync($"/chat/attachments/{attachmentId}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync(Cancellation));
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("backup.bin", download.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))}\"", download.Headers.ETag?.Tag);

        // A browser has no header to send: the signed link Bob asks for works without one.
        var link = await LinkAsync(bob, attachmentId);
        using var anonymous = system.Chat.CreateClient();
        Assert.Equal(bytes, await anonymous.GetByteArrayAsync(link.GetProperty("url").GetString(), Cancellation));
    }

    [Fact]
    public async Task A_message_sent_over_HTTP_carries_the_attachment_too()
    {
        var (alice, bob, conversation) = await PairAsync();
        var upload = await system.UploadAsync(alice, TestImages.Picture(64, 48), "cat.png", "image/png");

        using var sent = await system.Client(alice).PostAsJsonAsync($"/chat/{conversation}/messages",
            new { clientMessageId = "http-1", content = new { kind = "image", attachmentId = upload.GetProperty("attachmentId").GetGuid() } }, Cancellation);

        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var history = await system.Client(bob).GetFromJsonAsync<JsonElement>($"/chat/{conversation}", Cancellation);
        var content = history.GetProperty("items")[0].GetProperty("content");
        Assert.Equal("image", content.GetProperty("kind").GetString());
        Assert.Equal(64, content.GetProperty("width").GetInt32());
        Assert.Equal(48, content.GetProperty("height").GetInt32());
        Assert.Equal("image/png", content.GetProperty("mimeType").GetString());
    }

    [Fact]
    public async Task Someone_outside_the_conversation_gets_404_for_the_file_its_thumbnail_and_no_link()
    {
        var (alice, bob, conversation) = await PairAsync();
        var carol = await system.NewUserAsync("carol");
        var upload = await system.UploadAsync(alice, TestImages.Picture(50, 50), "p.png", "image/png");
        var id = upload.GetProperty("attachmentId").GetGuid();

        // Not yet sent: only the uploader may read it.
        using (var early = await system.Client(bob).GetAsync($"/chat/attachments/{id}", Cancellation))
        {
            await early.AssertProblemAsync(HttpStatusCode.NotFound);
        }

        await SendAsync(alice, conversation, new { kind = "image", attachmentId = id });

        using var stranger = await system.Client(carol).GetAsync($"/chat/attachments/{id}", Cancellation);
        using var strangerThumbnail = await system.Client(carol).GetAsync($"/chat/attachments/{id}/thumbnail", Cancellation);
        using var unknown = await system.Client(carol).GetAsync($"/chat/attachments/{Guid.NewGuid()}", Cancellation);
        using var links = await system.Client(carol).PostAsJsonAsync("/chat/attachments/links", new { attachmentIds = new[] { id } }, Cancellation);
        using var participant = await system.Client(bob).GetAsync($"/chat/attachments/{id}/thumbnail", Cancellation);

        var notFound = await stranger.AssertProblemAsync(HttpStatusCode.NotFound);
        var alsoNotFound = await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(notFound.GetProperty("detail").GetString(), alsoNotFound.GetProperty("detail").GetString());
        await strangerThumbnail.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty((await links.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, participant.StatusCode);
    }

    public static TheoryData<string, byte[], string, string, string, string> LyingFiles => new()
    {
        // name, bytes, the client's type, expected type, expected kind, expected stored name
        { "report.pdf", TestImages.Picture(30, 20), "application/pdf", "image/png", "image", "report.png" },
        { "holiday.jpg", "Dear diary, today I lied about a file name.\n"u8.ToArray(), "image/jpeg", "text/plain", "file", "holiday.jpg" },
        { "page.png", "%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n"u8.ToArray(), "image/png", "application/pdf", "file", "page.pdf" },
        { "x.gif", [0x00, 0x01, 0x02, 0xFE, 0xFF, 0x00, 0x13, 0x37], "image/gif", "application/octet-stream", "file", "x.gif" },
        { "cv.txt", [.. "PK\u0003\u0004"u8, .. new byte[26], .. "word/document.xml"u8], "text/plain", "application/zip", "file", "cv.zip" },
    };

    [Theory]
    [MemberData(nameof(LyingFiles))]
    public async Task A_file_with_a_lying_name_or_type_is_typed_by_its_bytes(string name, byte[] bytes, string claimed, string mimeType, string kind, string storedName)
    {
        var alice = await system.NewUserAsync("alice");

        var upload = await system.UploadAsync(alice, bytes, name, claimed);

        Assert.Equal(mimeType, upload.GetProperty("mimeType").GetString());
        Assert.Equal(kind, upload.GetProperty("kind").GetString());
        Assert.Equal(storedName, upload.GetProperty("name").GetString());
        using var download = await system.Client(alice).GetAsync(upload.GetProperty("url").GetString(), Cancellation);
        Assert.Equal(mimeType, download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(kind == "image" ? "inline" : "attachment", download.Content.Headers.ContentDisposition?.DispositionType);
    }

    [Fact]
    public async Task A_picture_is_stored_upright_without_its_EXIF_and_GPS_and_gets_a_thumbnail()
    {
        var alice = await system.NewUserAsync("alice");
        var original = TestImages.JpegWithGpsAndOrientation();
        Assert.True(TestImages.ContainsSequence(original, TestImages.GpsLatitudeBytes()));

        var upload = await system.UploadAsync(alice, original, "IMG_0001.JPG", "image/jpeg");

        Assert.Equal("image", upload.GetProperty("kind").GetString());
        Assert.Equal("image/jpeg", upload.GetProperty("mimeType").GetString());
        // Orientation 6 applied: 40×20 as stored becomes 20×40, the red (left) half on top.
        Assert.Equal(20, upload.GetProperty("width").GetInt32());
        Assert.Equal(40, upload.GetProperty("height").GetInt32());
        var stored = await system.Client(alice).GetByteArrayAsync(upload.GetProperty("url").GetString(), Cancellation);
        Assert.False(TestImages.ContainsSequence(stored, "Exif\0\0"u8.ToArray()), "The stored picture still has an EXIF block.");
        Assert.False(TestImages.ContainsSequence(stored, TestImages.GpsLatitudeBytes()), "The stored picture still has the GPS latitude.");
        var (top, width, height) = TestImages.Inspect(stored, 10, 5);
        Assert.Equal((20, 40), (width, height));
        Assert.True(top.Red > 200 && top.Blue < 60, $"Expected red at the top of the upright picture, found {top}.");
        Assert.True(TestImages.Inspect(stored, 10, 35).Color.Blue > 200);

        var thumbnail = await system.Client(alice).GetAsync(upload.GetProperty("thumbnailUrl").GetString(), Cancellation);
        Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType?.MediaType);
        var thumbnailBytes = await thumbnail.Content.ReadAsByteArrayAsync(Cancellation);
        Assert.False(TestImages.ContainsSequence(thumbnailBytes, TestImages.GpsLatitudeBytes()));
        Assert.Equal((20, 40), TestImages.Inspect(thumbnailBytes, 0, 0) is var t ? (t.Width, t.Height) : default);
    }

    [Fact]
    public async Task A_large_picture_is_scaled_down_and_its_thumbnail_is_small()
    {
        var alice = await system.NewUserAsync("alice");

        var upload = await system.UploadAsync(alice, TestImages.Picture(5000, 1000), "panorama.png", "image/png");

        Assert.Equal((4096, 819), (upload.GetProperty("width").GetInt32(), upload.GetProperty("height").GetInt32()));
        var thumbnail = await system.Client(alice).GetByteArrayAsync(upload.GetProperty("thumbnailUrl").GetString(), Cancellation);
        var (_, width, height) = TestImages.Inspect(thumbnail, 0, 0);
        Assert.Equal((320, 64), (width, height));
    }

    [Fact]
    public async Task A_picture_claiming_a_gigantic_canvas_is_kept_as_a_plain_file_not_decoded()
    {
        var alice = await system.NewUserAsync("alice");

        var upload = await system.UploadAsync(alice, TestImages.PngClaiming(100_000, 100_000), "bomb.png", "image/png");

        Assert.Equal("file", upload.GetProperty("kind").GetString());
        Assert.False(upload.TryGetProperty("thumbnailUrl", out _));
        using var download = await system.Client(alice).GetAsync(upload.GetProperty("url").GetString(), Cancellation);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
    }

    [Fact]
    public async Task Byte_ranges_conditional_requests_and_unsatisfiable_ranges_are_answered_as_HTTP_says()
    {
        var alice = await system.NewUserAsync("alice");
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var url = (await system.UploadAsync(alice, bytes, "counting.bin")).GetProperty("url").GetString()!;
        var client = system.Client(alice);

        async Task<HttpResponseMessage> GetAsync(Action<HttpRequestHeaders> headers)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            headers(request.Headers);
            return await client.SendAsync(request, Cancellation);
        }

        using var middle = await GetAsync(h => h.Range = new RangeHeaderValue(10, 19));
        Assert.Equal(HttpStatusCode.PartialContent, middle.StatusCode);
        Assert.Equal("bytes 10-19/1000", middle.Content.Headers.ContentRange?.ToString());
        Assert.Equal(bytes[10..20], await middle.Content.ReadAsByteArrayAsync(Cancellation));

        using var tail = await GetAsync(h => h.Range = new RangeHeaderValue(null, 5));
        Assert.Equal(bytes[995..], await tail.Content.ReadAsByteArrayAsync(Cancellation));
        using var open = await GetAsync(h => h.Range = new RangeHeaderValue(990, null));
        Assert.Equal(bytes[990..], await open.Content.ReadAsByteArrayAsync(Cancellation));
        using var clipped = await GetAsync(h => h.Range = new RangeHeaderValue(998, 5000));
        Assert.Equal("bytes 998-999/1000", clipped.Content.Headers.ContentRange?.ToString());

        using var beyond = await GetAsync(h => h.Range = new RangeHeaderValue(1000, 1010));
        await beyond.AssertProblemAsync(HttpStatusCode.RequestedRangeNotSatisfiable);
        Assert.Equal("bytes */1000", beyond.Content.Headers.ContentRange?.ToString());

        var etag = middle.Headers.ETag!;
        using var unchanged = await GetAsync(h => h.IfNoneMatch.Add(etag));
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        using var staleIfRange = await GetAsync(h =>
        {
            h.Range = new RangeHeaderValue(0, 9);
            h.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue("\"something-else\""));
        });
        Assert.Equal(HttpStatusCode.OK, staleIfRange.StatusCode);
        Assert.Equal(bytes, await staleIfRange.Content.ReadAsByteArrayAsync(Cancellation));
    }

    [Fact]
    public async Task Sending_an_attachment_someone_else_uploaded_or_an_unknown_one_gets_an_error_frame_and_the_socket_stays_open()
    {
        var (alice, bob, conversation) = await PairAsync();
        var bobsUpload = await system.UploadAsync(bob, "bob's notes"u8.ToArray(), "notes.txt", "text/plain");
        await using var socket = await system.ConnectAsync(alice);

        foreach (var (content, code) in new (object Content, string Code)[]
        {
            (new { kind = "file", attachmentId = bobsUpload.GetProperty("attachmentId").GetGuid() }, "attachment_not_found"),
            (new { kind = "file", attachmentId = Guid.NewGuid() }, "attachment_not_found"),
            (new { kind = "file", attachmentId = "not-an-id" }, "invalid"),
        })
        {
            var clientMessageId = Guid.NewGuid().ToString();
            await socket.SendAsync(new { type = "send", clientMessageId, conversationId = conversation, content });
            var error = await socket.WaitForAsync("error", f => f.GetProperty("clientMessageId").GetString() == clientMessageId);
            Assert.Equal(code, error.GetProperty("code").GetString());
        }

        // A text file cannot pose as a picture.
        var mine = await system.UploadAsync(alice, "plain words"u8.ToArray(), "words.txt", "text/plain");
        await socket.SendAsync(new { type = "send", clientMessageId = "as-image", conversationId = conversation, content = new { kind = "image", attachmentId = mine.GetProperty("attachmentId").GetGuid() } });
        Assert.Equal("attachment_not_found", (await socket.WaitForAsync("error", f => f.GetProperty("clientMessageId").GetString() == "as-image")).GetProperty("code").GetString());

        await socket.SendTextAsync(conversation, "still connected");
        var history = await system.Client(alice).GetFromJsonAsync<JsonElement>($"/chat/{conversation}", Cancellation);
        Assert.Single(history.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task An_attachment_message_cannot_swap_its_file_by_an_edit()
    {
        var (alice, _, conversation) = await PairAsync();
        var first = await system.UploadAsync(alice, "one"u8.ToArray(), "one.txt", "text/plain");
        var second = await system.UploadAsync(alice, "two"u8.ToArray(), "two.txt", "text/plain");
        var message = await SendAsync(alice, conversation, new { kind = "file", attachmentId = first.GetProperty("attachmentId").GetGuid() });

        using var edit = await system.Client(alice).PatchAsJsonAsync($"/chat/{conversation}/messages/{message}",
            new { content = new { kind = "file", attachmentId = second.GetProperty("attachmentId").GetGuid() } }, Cancellation);

        await edit.AssertProblemAsync(HttpStatusCode.BadRequest);
        using var toElsewhere = await system.Client(alice).PatchAsJsonAsync($"/chat/{conversation}/messages/{message}",
            new { content = new { kind = "file", url = "https://elsewhere.example/x.txt", name = "x.txt", size = 3, mimeType = "text/plain" } }, Cancellation);
        await toElsewhere.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_edit_changes_an_attachments_caption_and_keeps_its_file()
    {
        var (alice, bob, conversation) = await PairAsync();
        var upload = await system.UploadAsync(alice, "the agenda"u8.ToArray(), "agenda.txt", "text/plain");
        var attachmentId = upload.GetProperty("attachmentId").GetGuid();
        var message = await SendAsync(alice, conversation, new { kind = "file", attachmentId, text = "for friday" });

        using var edit = await system.Client(alice).PatchAsJsonAsync($"/chat/{conversation}/messages/{message}",
            new { content = new { kind = "file", text = "for saturday" } }, Cancellation);

        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        var content = (await edit.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("content");
        Assert.Equal("for saturday", content.GetProperty("text").GetString());
        Assert.Equal(attachmentId, content.GetProperty("attachmentId").GetGuid());
        Assert.Equal("agenda.txt", content.GetProperty("name").GetString());
        Assert.Equal("the agenda"u8.ToArray(), await system.Client(bob).GetByteArrayAsync($"/chat/attachments/{attachmentId}", Cancellation));
    }

    public static TheoryData<string> BadUploads => ["empty", "no name", "blank name", "multipart without a file", "multipart without a boundary"];

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task A_bad_upload_gets_400_with_the_field_named(string mistake)
    {
        var alice = await system.NewUserAsync("alice");
        var client = system.Client(alice);

        using var response = mistake switch
        {
            "empty" => await system.UploadRawAsync(alice, [], "empty.txt"),
            "no name" => await system.UploadRawAsync(alice, [1, 2, 3], null),
            "blank name" => await system.UploadRawAsync(alice, [1, 2, 3], " /../ "),
            "multipart without a file" => await client.PostAsync("/chat/attachments",
                new MultipartFormDataContent { { new StringContent("hello"), "caption" } }, Cancellation),
            _ => await client.PostAsync("/chat/attachments", new ByteArrayContent([1]) { Headers = { { "Content-Type", "multipart/form-data" } } }, Cancellation),
        };

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.GetProperty("errors").EnumerateObject());
    }

    [Fact]
    public async Task Uploading_without_a_token_gets_401()
    {
        using var content = new ByteArrayContent([1, 2, 3]);
        using var response = await system.Chat.CreateClient().PostAsync("/chat/attachments?name=a.bin", content, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_tampered_or_expired_link_gets_403_and_a_link_without_a_signature_401()
    {
        var (alice, bob, conversation) = await PairAsync();
        var upload = await system.UploadAsync(alice, "secret plans"u8.ToArray(), "plans.txt", "text/plain");
        var id = upload.GetProperty("attachmentId").GetGuid();
        var url = upload.GetProperty("url").GetString()!;
        await SendAsync(alice, conversation, new { kind = "file", attachmentId = id });
        var anonymous = system.Chat.CreateClient();
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(new Uri("http://x"), url).Query);

        using var good = await anonymous.GetAsync(url, Cancellation);
        using var otherUser = await anonymous.GetAsync(url.Replace(alice.UserId.ToString("N"), bob.UserId.ToString("N"), StringComparison.Ordinal), Cancellation);
        using var later = await anonymous.GetAsync(url.Replace("e=" + query["e"], "e=" + (long.Parse(query["e"]!) + 600), StringComparison.Ordinal), Cancellation);
        using var expired = await anonymous.GetAsync($"/chat/attachments/{id}?u={alice.UserId:N}&e=1000&s={query["s"]}", Cancellation);
        using var otherFile = await anonymous.GetAsync(url.Replace(id.ToString(), Guid.NewGuid().ToString(), StringComparison.Ordinal), Cancellation);
        using var unsigned = await anonymous.GetAsync($"/chat/attachments/{id}", Cancellation);

        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        await otherUser.AssertProblemAsync(HttpStatusCode.Forbidden);
        await later.AssertProblemAsync(HttpStatusCode.Forbidden);
        await expired.AssertProblemAsync(HttpStatusCode.Forbidden);
        await otherFile.AssertProblemAsync(HttpStatusCode.Forbidden);
        await unsigned.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Too_many_uploads_in_a_minute_get_429_with_Retry_After()
    {
        var alice = await system.NewUserAsync("alice");
        for (var i = 0; i < AttachmentSystem.UploadsPerMinute; i++)
        {
            using var accepted = await system.UploadRawAsync(alice, [(byte)i], $"f{i}.bin");
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        }

        using var refused = await system.UploadRawAsync(alice, [42], "one-too-many.bin");

        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        // Someone else is not held back by Alice's uploads.
        var bob = await system.NewUserAsync("bob");
        using var other = await system.UploadRawAsync(bob, [1], "b.bin");
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
    }

    [Fact]
    public async Task Unsent_uploads_are_swept_after_a_day_and_a_blob_stays_until_no_message_carries_it()
    {
        var (alice, bob, conversation) = await PairAsync();
        var carol = await system.NewUserAsync("carol");
        var withCarol = await system.DirectAsync(alice, carol);
        var orphan = await system.UploadAsync(alice, "never sent"u8.ToArray(), "orphan.txt", "text/plain");
        var shared = await system.UploadAsync(alice, TestImages.Picture(40, 40), "shared.png", "image/png");
        var sharedId = shared.GetProperty("attachmentId").GetGuid();
        var toBob = await SendAsync(alice, conversation, new { kind = "image", attachmentId = sharedId });
        var toCarol = await SendAsync(alice, withCarol, new { kind = "image", attachmentId = sharedId });
        var sweeper = system.Chat.Services.GetRequiredService<AttachmentSweeper>();
        var blobFiles = () => Directory.GetFiles(Path.Combine(system.BlobDirectory, "blobs"), "*", SearchOption.AllDirectories);
        Assert.Contains(blobFiles(), f => f.Contains(sharedId.ToString("N"), StringComparison.Ordinal));

        // Within the day nothing goes; after it, the orphan does.
        await sweeper.SweepAsync(DateTimeOffset.UtcNow.AddHours(23), Cancellation);
        await AssertReadableAsync(alice, orphan.GetProperty("attachmentId").GetGuid(), HttpStatusCode.OK);
        await sweeper.SweepAsync(DateTimeOffset.UtcNow.AddDays(2), Cancellation);
        await AssertReadableAsync(alice, orphan.GetProperty("attachmentId").GetGuid(), HttpStatusCode.NotFound);

        // Deleting one message keeps the picture for the other conversation.
        using (var deleted = await system.Client(alice).DeleteAsync($"/chat/{conversation}/messages/{toBob}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await sweeper.SweepAsync(DateTimeOffset.UtcNow.AddDays(2), Cancellation);
        await AssertReadableAsync(carol, sharedId, HttpStatusCode.OK);
        await AssertReadableAsync(bob, sharedId, HttpStatusCode.NotFound);

        // Once no message carries it, the blob and its thumbnail go.
        using (var deleted = await system.Client(alice).DeleteAsync($"/chat/{withCarol}/messages/{toCarol}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await sweeper.SweepAsync(DateTimeOffset.UtcNow.AddDays(2), Cancellation);
        await AssertReadableAsync(alice, sharedId, HttpStatusCode.NotFound);
        Assert.DoesNotContain(blobFiles(), f => f.Contains(sharedId.ToString("N"), StringComparison.Ordinal));
    }

    private async Task AssertReadableAsync(Tokens user, Guid attachmentId, HttpStatusCode expected)
    {
        using var response = await system.Client(user).GetAsync($"/chat/attachments/{attachmentId}", Cancellation);
        Assert.Equal(expected, response.StatusCode);
    }

    private async Task<(Tokens Alice, Tokens Bob, Guid Conversation)> PairAsync()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        return (alice, bob, await system.DirectAsync(alice, bob));
    }

    private async Task<Guid> SendAsync(Tokens sender, Guid conversation, object content)
    {
        using var response = await system.Client(sender).PostAsJsonAsync($"/chat/{conversation}/messages",
            new { clientMessageId = Guid.NewGuid().ToString(), content }, Cancellation);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("messageId").GetGuid();
    }

    private async Task<JsonElement> LinkAsync(Tokens user, Guid attachmentId)
    {
        using var response = await system.Client(user).PostAsJsonAsync("/chat/attachments/links", new { attachmentIds = new[] { attachmentId } }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("items").EnumerateArray());
    }
}
