using System.Text;
using Chat.Api.Data;
using Chat.Api.Data.Blobs;
using Chat.Api.Domain.Attachments;
using Chat.Api.Extensions;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Chat.Api.Api;

/// <summary>
/// <c>/chat/attachments</c>: uploading a file (streamed, never buffered), signed links for
/// browsers, and downloading a file or its thumbnail (streamed, with ETag and byte ranges).
/// See docs/decisions/0060.
/// </summary>
public static class AttachmentsApi
{
    public const int MaxLinksPerRequest = 100;

    // Room for a multipart envelope around a file of the largest size.
    private const long MultipartSlack = 64 * 1024;

    public static IEndpointRouteBuilder MapAttachmentsApi(this IEndpointRouteBuilder app)
    {
        var attachments = app.MapGroup("/chat/attachments").WithTags("Attachments");
        attachments.MapPost("", Upload)
            .WithSummary("Uploads a file: the request body itself (name in ?name=) or one multipart/form-data file part.")
            .WithDescription("The type is sniffed from the bytes; pictures are re-encoded without metadata and get a thumbnail. " +
                "Send it in a message as content {kind: \"image\" | \"file\", attachmentId}. Unsent uploads are deleted after a day.");
        attachments.MapPost("/links", Links).WithSummary("Signed download links (for <img src> and plain links) for attachments I may read.");
        attachments.MapGet("/{attachmentId:guid}", Download).AllowAnonymous()
            .WithSummary("Downloads an attachment: with a bearer token or the query of a signed link. Supports Range and If-None-Match.");
        attachments.MapGet("/{attachmentId:guid}/thumbnail", DownloadThumbnail).AllowAnonymous()
            .WithSummary("Downloads a picture's thumbnail: with a bearer token or the query of a signed link.");
        return app;
    }

    /// <summary>An uploaded attachment as its uploader sees it; <c>url</c> and <c>thumbnailUrl</c> are signed links for the uploader.</summary>
    public sealed record AttachmentView(
        Guid AttachmentId,
        string Kind,
        string Name,
        long Size,
        string MimeType,
        int? Width,
        int? Height,
        string Url,
        string? ThumbnailUrl,
        DateTimeOffset ExpiresAt);

    public sealed record LinksRequest(List<Guid>? AttachmentIds);

    public sealed record LinkList(IReadOnlyList<AttachmentLink> Items);

    internal static async Task<Results<Created<AttachmentView>, ValidationProblem, ProblemHttpResult>> Upload(
        HttpContext http,
        string? name,
        AttachmentUploads uploads,
        UploadRateLimiter rateLimiter,
        AttachmentLinks links,
        IOptions<AttachmentOptions> options,
        CancellationToken cancellationToken)
    {
        var me = http.User.GetUserId();
        if (await rateLimiter.TryAcquireAsync(me) is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString();
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many uploads",
                detail: "You uploaded too many files in a short time. Retry after the time in Retry-After.");
        }

        var limit = options.Value.MaxFileBytes;
        var request = http.Request;
        var multipart = MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            && mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);
        if (request.ContentLength > limit + (multipart ? MultipartSlack : 0))
        {
            return TooLarge(limit);
        }

        // The service-wide limit is small (JSON); this route reads up to the file limit, and stops there itself.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit + MultipartSlack;
        }

        UploadOutcome outcome;
        string? fileName;
        try
        {
            if (multipart)
            {
                var boundary = HeaderUtilities.RemoveQuotes(mediaType!.Boundary).Value;
                if (string.IsNullOrEmpty(boundary))
                {
                    return ConversationsApi.Invalid("file", "A multipart/form-data body needs a boundary.", "The upload is not valid.");
                }

                var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = limit + 1 };
                MultipartSection? section;
                fileName = null;
                while ((section = await reader.ReadNextSectionAsync(cancellationToken)) is not null && !IsFile(section, out fileName))
                {
                    // Form fields before the file are skipped.
                }

                if (section is null || CleanName(fileName) is not { } cleanName)
                {
                    return ConversationsApi.Invalid("file", "Send one file part with a file name (Content-Disposition: form-data; name=\"file\"; filename=\"…\").", "The upload is not valid.");
                }

                outcome = await uploads.UploadAsync(me, cleanName, section.Body, cancellationToken);
            }
            else
            {
                if (CleanName(name) is not { } cleanName)
                {
                    return ConversationsApi.Invalid("name", "Give the file's name as ?name=, or upload it as multipart/form-data.", "The upload is not valid.");
                }

                outcome = await uploads.UploadAsync(me, cleanName, request.Body, cancellationToken);
            }
        }
        catch (IOException ex) when (multipart && !cancellationToken.IsCancellationRequested)
        {
            // A body that ends before its first boundary (it was not multipart at all) ends up here.
            return ConversationsApi.Invalid("file", "The multipart/form-data body is malformed: " + ex.Message, "The upload is not valid.");
        }
        catch (InvalidDataException ex) when (multipart)
        {
            // The multipart reader's own limits and syntax errors: a body of the limit's size ends up here too.
            return ex.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase)
                ? TooLarge(limit)
                : ConversationsApi.Invalid("file", "The multipart/form-data body is malformed: " + ex.Message, "The upload is not valid.");
        }

        switch (outcome.Status)
        {
            case UploadStatus.TooLarge:
                return TooLarge(limit);
            case UploadStatus.Empty:
                return ConversationsApi.Invalid("file", "The file is empty.", "The upload is not valid.");
        }

        var attachment = outcome.Attachment!;
        var link = links.For(attachment, me);
        return TypedResults.Created($"/chat/attachments/{attachment.Id}", new AttachmentView(
            attachment.Id, attachment.Kind, attachment.Name, attachment.Size, attachment.MimeType, attachment.Width, attachment.Height,
            link.Url, link.ThumbnailUrl, link.ExpiresAt));
    }

    internal static async Task<Results<Ok<LinkList>, ValidationProblem>> Links(
        LinksRequest request, AttachmentStore store, AttachmentLinks links, HttpContext http, CancellationToken cancellationToken)
    {
        if (request.AttachmentIds is not { Count: > 0 and <= MaxLinksPerRequest } ids)
        {
            return ConversationsApi.Invalid("attachmentIds", $"Ask for 1 to {MaxLinksPerRequest} attachment ids.", "The request is not valid.");
        }

        var me = http.User.GetUserId();
        var readable = await store.GetReadableAsync([.. ids.Distinct()], me, cancellationToken);
        return TypedResults.Ok(new LinkList([.. readable.Select(a => links.For(a, me))]));
    }

    internal static Task<IResult> Download(
        Guid attachmentId, HttpContext http, AttachmentStore store, IBlobStore blobs, AttachmentLinks links, CancellationToken cancellationToken) =>
        DownloadAsync(attachmentId, thumbnail: false, http, store, blobs, links, cancellationToken);

    internal static Task<IResult> DownloadThumbnail(
        Guid attachmentId, HttpContext http, AttachmentStore store, IBlobStore blobs, AttachmentLinks links, CancellationToken cancellationToken) =>
        DownloadAsync(attachmentId, thumbnail: true, http, store, blobs, links, cancellationToken);

    private static async Task<IResult> DownloadAsync(
        Guid attachmentId, bool thumbnail, HttpContext http, AttachmentStore store, IBlobStore blobs, AttachmentLinks links, CancellationToken cancellationToken)
    {
        Guid userId;
        var query = http.Request.Query;
        if (http.User.Identity?.IsAuthenticated == true)
        {
            userId = http.User.GetUserId();
        }
        else if (!query.ContainsKey("s"))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "Send a bearer token, or use a signed link from POST /chat/attachments/links.");
        }
        else if (!links.TryVerify(attachmentId, query["u"], query["e"], query["s"], out userId))
        {
            // Says nothing about the attachment: the signature is checked before anything is looked up.
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Link not valid",
                detail: "This download link has expired or was altered; ask for a new one (POST /chat/attachments/links).");
        }

        if (await store.GetReadableAsync(attachmentId, userId, cancellationToken) is not { } attachment
            || (thumbnail && attachment.ThumbnailKey is null))
        {
            return NotFound();
        }

        return new BlobDownload(attachment, thumbnail, blobs);
    }

    internal static ProblemHttpResult NotFound() => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Attachment not found", detail: "There is no attachment with this id that you may read.");

    private static ProblemHttpResult TooLarge(long limit) => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge, title: "File too large", detail: $"A file may be at most {limit} bytes.");

    private static bool IsFile(MultipartSection section, out string? fileName)
    {
        var disposition = section.GetContentDispositionHeader();
        fileName = disposition?.FileNameStar.Value ?? HeaderUtilities.RemoveQuotes(disposition?.FileName ?? default).Value;
        return disposition is not null && disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
            && (disposition.FileName.HasValue || disposition.FileNameStar.HasValue);
    }

    /// <summary>The file name without folders or control characters, at most 255 characters (the extension kept); null when nothing is left.</summary>
    internal static string? CleanName(string? name)
    {
        if (name is null)
        {
            return null;
        }

        var builder = new StringBuilder(name.Length);
        foreach (var c in name[(name.LastIndexOfAny(['/', '\\']) + 1)..])
        {
            if (!char.IsControl(c) && c is not ('"' or '<' or '>' or ':' or '|' or '?' or '*'))
            {
                builder.Append(c);
            }
        }

        var clean = builder.ToString().Trim().TrimStart('.');
        if (clean.Length == 0)
        {
            return null;
        }

        if (clean.Length > 255)
        {
            var extension = Path.GetExtension(clean);
            clean = extension.Length is > 0 and <= 16 ? clean[..(255 - extension.Length)] + extension : clean[..255];
        }

        return clean;
    }
}
