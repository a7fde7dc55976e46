using System.Security.Cryptography;
using Chat.Api.Data;
using Chat.Api.Data.Blobs;
using Chat.Api.Extensions;
using Microsoft.Extensions.Options;

namespace Chat.Api.Domain.Attachments;

public enum UploadStatus
{
    Stored,
    TooLarge,
    Empty,
}

public sealed record UploadOutcome(UploadStatus Status, AttachmentRow? Attachment = null);

public static class AttachmentKinds
{
    public const string Image = "image";
    public const string File = "file";
}

/// <summary>
/// Takes an upload from the request body to the blob store: spools it to a temporary file while
/// counting (stopping at the limit, so nothing larger is ever read whole) and hashing, sniffs its
/// type from the first bytes, re-encodes pictures, stores the blobs and then the record. The body
/// is never held in memory; buffers are 80 KB.
/// </summary>
public sealed class AttachmentUploads(
    AttachmentStore store,
    IBlobStore blobs,
    ImageProcessor images,
    IOptions<AttachmentOptions> options,
    TimeProvider time)
{
    private const int BufferSize = 81_920;
    private readonly AttachmentOptions settings = options.Value;

    public async Task<UploadOutcome> UploadAsync(Guid uploaderId, string name, Stream body, CancellationToken cancellationToken)
    {
        var folder = settings.TempDirectory is { Length: > 0 } configured ? configured : Path.Combine(Path.GetTempPath(), "messenger-chat-uploads");
        Directory.CreateDirectory(folder);
        var spool = Path.Combine(folder, Guid.NewGuid().ToString("N"));
        try
        {
            var (size, head, sha256) = await SpoolAsync(body, spool, cancellationToken);
            if (size > settings.MaxFileBytes)
            {
                return new UploadOutcome(UploadStatus.TooLarge);
            }

            if (size == 0)
            {
                return new UploadOutcome(UploadStatus.Empty);
            }

            var id = Guid.CreateVersion7();
            var mimeType = ContentSniffer.Sniff(head);
            var attachment = new AttachmentRow
            {
                Id = id,
                UploaderId = uploaderId,
                Name = name,
                Kind = AttachmentKinds.File,
                MimeType = mimeType,
                Size = size,
                Sha256 = sha256,
                BlobKey = $"{id:N}/original",
                CreatedAt = time.GetUtcNow(),
            };

            var stored = spool;
            if (await images.ProcessAsync(spool, mimeType, cancellationToken) is { } image)
            {
                stored = image.Path;
                attachment.Kind = AttachmentKinds.Image;
                attachment.MimeType = image.MimeType;
                attachment.Width = image.Width;
                attachment.Height = image.Height;
                attachment.ThumbnailKey = $"{id:N}/thumbnail";
                attachment.ThumbnailMimeType = image.ThumbnailMimeType;
                attachment.ThumbnailSize = new FileInfo(image.ThumbnailPath).Length;
                if (stored != spool)
                {
                    attachment.Size = new FileInfo(stored).Length;
                    attachment.Sha256 = await HashAsync(stored, cancellationToken);
                }

                await PutAsync(attachment.ThumbnailKey, image.ThumbnailPath, image.ThumbnailMimeType, cancellationToken);
            }

            attachment.Name = ContentSniffer.FitExtension(name, attachment.MimeType);
            await PutAsync(attachment.BlobKey, stored, attachment.MimeType, cancellationToken);
            try
            {
                await store.InsertAsync(attachment, cancellationToken);
            }
            catch
            {
                await DeleteBlobsAsync(attachment);
                throw;
            }

            return new UploadOutcome(UploadStatus.Stored, attachment);
        }
        finally
        {
            foreach (var file in Directory.EnumerateFiles(folder, Path.GetFileName(spool) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Copies the body to <paramref name="path"/>; stops reading one byte past the limit.</summary>
    private async Task<(long Size, byte[] Head, string Sha256)> SpoolAsync(Stream body, string path, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BufferSize];
        var head = new byte[ContentSniffer.HeadLength];
        var headLength = 0;
        long size = 0;
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
        while (true)
        {
            var read = await body.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }

            size += read;
            if (size > settings.MaxFileBytes)
            {
                return (size, [], "");
            }

            if (headLength < head.Length)
            {
                var take = Math.Min(read, head.Length - headLength);
                buffer.AsSpan(0, take).CopyTo(head.AsSpan(headLength));
                headLength += take;
            }

            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return (size, head[..headLength], Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private async Task PutAsync(string key, string path, string contentType, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await blobs.PutAsync(key, file, file.Length, contentType, cancellationToken);
    }

    private async Task DeleteBlobsAsync(AttachmentRow attachment)
    {
        await blobs.DeleteAsync(attachment.BlobKey, CancellationToken.None);
        if (attachment.ThumbnailKey is { } thumbnail)
        {
            await blobs.DeleteAsync(thumbnail, CancellationToken.None);
        }
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }
}
