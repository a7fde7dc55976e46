using System.Globalization;
using Chat.Api.Data;
using Chat.Api.Data.Blobs;
using Chat.Api.Domain.Attachments;
using Microsoft.Net.Http.Headers;

namespace Chat.Api.Api;

/// <summary>
/// Streams an attachment (or its thumbnail) from the blob store: strong ETag (the SHA-256 of the
/// bytes, which never change under an id) with <c>If-None-Match</c>, one byte range with
/// <c>If-Range</c> (several ranges get the whole file, as RFC 9110 allows), the sniffed type with
/// <c>nosniff</c>, and <c>Content-Disposition: attachment</c> for everything but re-encoded pictures.
/// </summary>
internal sealed partial class BlobDownload(AttachmentRow attachment, bool thumbnail, IBlobStore blobs) : IResult
{
    public async Task ExecuteAsync(HttpContext http)
    {
        var size = thumbnail ? attachment.ThumbnailSize!.Value : attachment.Size;
        var etag = new EntityTagHeaderValue($"\"{attachment.Sha256}{(thumbnail ? "-thumbnail" : "")}\"");
        var request = http.Request;
        var response = http.Response;
        var headers = response.GetTypedHeaders();
        headers.ETag = etag;
        headers.CacheControl = new CacheControlHeaderValue { Private = true, MaxAge = TimeSpan.FromHours(1) };
        response.Headers.AcceptRanges = "bytes";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "sandbox";

        if (request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } ifNoneMatch
            && ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(etag, useStrongComparison: false)))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        long offset = 0, length = size;
        if (RequestedRange(request, etag, size) is { } range)
        {
            if (range.Length == 0)
            {
                response.Headers.ContentRange = $"bytes */{size}";
                await TypedResults.Problem(statusCode: StatusCodes.Status416RangeNotSatisfiable, title: "Range not satisfiable",
                    detail: $"The attachment has {size} bytes.").ExecuteAsync(http);
                return;
            }

            (offset, length) = range;
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {offset}-{offset + length - 1}/{size}";
        }

        var key = thumbnail ? attachment.ThumbnailKey! : attachment.BlobKey;
        await using var content = await blobs.OpenReadAsync(key, offset, length, http.RequestAborted);
        if (content is null)
        {
            LogBlobMissing(http.RequestServices.GetRequiredService<ILogger<BlobDownload>>(), attachment.Id, key);
            response.StatusCode = StatusCodes.Status200OK;
            response.Headers.Remove(HeaderNames.ContentRange);
            await AttachmentsApi.NotFound().ExecuteAsync(http);
            return;
        }

        var mimeType = thumbnail ? attachment.ThumbnailMimeType! : attachment.MimeType;
        response.ContentType = mimeType;
        response.ContentLength = length;
        var inline = attachment.Kind == AttachmentKinds.Image;
        var disposition = new ContentDispositionHeaderValue(inline ? "inline" : "attachment");
        disposition.SetHttpFileName(thumbnail ? "thumbnail" + (mimeType == "image/png" ? ".png" : ".jpg") : attachment.Name);
        response.Headers.ContentDisposition = disposition.ToString();
        await content.CopyToAsync(response.Body, http.RequestAborted);
    }

    /// <summary>
    /// The one range asked for, clipped to the file; (0, 0) when it lies wholly outside; null when
    /// the whole file is to be sent (no Range, several ranges, a Range that is not bytes, or an If-Range that does not match).
    /// </summary>
    private static (long Offset, long Length)? RequestedRange(HttpRequest request, EntityTagHeaderValue etag, long size)
    {
        var header = request.Headers.Range.ToString();
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(',', StringComparison.Ordinal))
        {
            return null;
        }

        if (request.Headers.IfRange.ToString() is { Length: > 0 } ifRange && ifRange != etag.Tag.ToString())
        {
            return null;
        }

        var spec = header["bytes=".Length..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return null;
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            // The last N bytes.
            return long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix)
                ? suffix == 0 ? (0, 0) : (Math.Max(0, size - suffix), Math.Min(suffix, size))
                : null;
        }

        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }

        var end = size - 1;
        if (last.Length > 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                return null;
            }

            end = Math.Min(end, size - 1);
        }

        return start >= size ? (0, 0) : (start, end - start + 1);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Attachment {AttachmentId} has a record but no blob {Key}")]
    private static partial void LogBlobMissing(ILogger logger, Guid attachmentId, string key);
}
