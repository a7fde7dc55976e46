using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Chat.Tests.Infrastructure;

/// <summary>
/// The small messenger with attachments stored in a folder of its own (deleted afterwards), the
/// default 50 MB limit and a low upload rate limit (five per minute) so the limit can be reached.
/// </summary>
public sealed class AttachmentSystem(TestServers servers) : ChatSystem(servers)
{
    public const int UploadsPerMinute = 5;

    public string BlobDirectory { get; } = Path.Combine(Path.GetTempPath(), "messenger-chat-tests", Guid.NewGuid().ToString("N"));

    protected override IDictionary<string, string?> ChatSettings => new Dictionary<string, string?>
    {
        ["Chat:Attachments:Directory"] = Path.Combine(BlobDirectory, "blobs"),
        ["Chat:Attachments:TempDirectory"] = Path.Combine(BlobDirectory, "spool"),
        ["Chat:Attachments:UploadsPerWindow"] = UploadsPerMinute.ToString(),
    };

    /// <summary>Uploads bytes as the request body (name in the query); returns the response.</summary>
    public async Task<HttpResponseMessage> UploadRawAsync(Tokens user, byte[] bytes, string? name, string contentType = "application/octet-stream")
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var url = name is null ? "/chat/attachments" : "/chat/attachments?name=" + Uri.EscapeDataString(name);
        return await Client(user).PostAsync(url, content, TestContext.Current.CancellationToken);
    }

    /// <summary>Uploads bytes as a browser form does (multipart/form-data, the client's own Content-Type on the part).</summary>
    public async Task<HttpResponseMessage> UploadFormAsync(Tokens user, byte[] bytes, string fileName, string contentType)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "file", fileName);
        return await Client(user).PostAsync("/chat/attachments", form, TestContext.Current.CancellationToken);
    }

    /// <summary>Uploads and returns the 201 body.</summary>
    public async Task<JsonElement> UploadAsync(Tokens user, byte[] bytes, string fileName, string contentType = "application/octet-stream")
    {
        using var response = await UploadFormAsync(user, bytes, fileName, contentType);
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"The upload answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(BlobDirectory))
        {
            Directory.Delete(BlobDirectory, recursive: true);
        }
    }
}
