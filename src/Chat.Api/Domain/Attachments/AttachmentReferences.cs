using Chat.Api.Data;
using Chat.Api.Extensions;
using Microsoft.Extensions.Options;

namespace Chat.Api.Domain.Attachments;

/// <summary>
/// Turns the <c>attachmentId</c> of a message being sent into the content stored: the name, size,
/// type and dimensions come from the attachment's record, never from the client. Only the
/// uploader may send an attachment. Costs one query, and only for messages that carry one.
/// </summary>
public sealed class AttachmentReferences(AttachmentStore store, IOptions<AttachmentOptions> options, TimeProvider time)
{
    // The sweeper may take an orphan once it is OrphanLifetime old; one that close to it is not sent any more.
    private static readonly TimeSpan SweepMargin = TimeSpan.FromMinutes(10);

    /// <summary>The content to store, or the sentence that says why the attachment cannot be sent.</summary>
    public async Task<(MessageContent? Content, string? Problem)> ResolveAsync(Guid senderId, MessageContent content, CancellationToken cancellationToken)
    {
        const string NotFound = "No attachment with this id was uploaded by you.";
        if (!Guid.TryParse(content.AttachmentId, out var id) || await store.GetWithPostsAsync(id, cancellationToken) is not { } found
            || found.Attachment.UploaderId != senderId)
        {
            return (null, NotFound);
        }

        var (attachment, posted) = found;

        if (!posted && attachment.CreatedAt < time.GetUtcNow() - options.Value.OrphanLifetime + SweepMargin)
        {
            return (null, "The upload has expired; upload the file again.");
        }

        if (content.Kind == AttachmentKinds.Image && attachment.Kind != AttachmentKinds.Image)
        {
            return (null, "This attachment is not a picture; send it as a file.");
        }

        return (content with
        {
            AttachmentId = attachment.Id.ToString(),
            Url = null,
            Name = attachment.Name,
            Size = attachment.Size,
            MimeType = attachment.MimeType,
            Width = attachment.Width,
            Height = attachment.Height,
        }, null);
    }
}
