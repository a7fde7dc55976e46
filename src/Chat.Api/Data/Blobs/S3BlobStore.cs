using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Chat.Api.Extensions;

namespace Chat.Api.Data.Blobs;

/// <summary>
/// Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, …), addressed path-style.
/// Checksums are sent only when an operation requires them: S3 itself verifies the body of a
/// signed PUT, and other S3 implementations reject the newer streaming checksum trailers.
/// </summary>
public sealed class S3BlobStore(IAmazonS3 client, string bucket, string keyPrefix = "") : IBlobStore
{
    public static IAmazonS3 CreateClient(S3StoreOptions options)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = options.ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = options.Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        return options.AccessKey is { Length: > 0 }
            ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config)
            : new AmazonS3Client(config);
    }

    public async Task PutAsync(string key, Stream content, long length, string contentType, CancellationToken cancellationToken)
    {
        // SigV4 over plain HTTP signs a hash of the body, so the body is read twice: a stream that
        // cannot seek is spooled to a temporary file first (over HTTPS it is sent unsigned instead).
        // The SDK's other fallback, aws-chunked signing, is not decoded by every S3-compatible server.
        var https = client.Config.ServiceURL?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) != false;
        FileStream? spool = null;
        if (!content.CanSeek && !https)
        {
            spool = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 81_920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            await content.CopyToAsync(spool, cancellationToken);
            spool.Position = 0;
            content = spool;
        }

        try
        {
            var request = new PutObjectRequest
            {
                BucketName = bucket,
                Key = ObjectKey(key),
                InputStream = content,
                ContentType = contentType,
                AutoCloseStream = false,
                UseChunkEncoding = false,
                DisablePayloadSigning = !content.CanSeek,
            };
            request.Headers.ContentLength = length;
            await client.PutObjectAsync(request, cancellationToken);
        }
        finally
        {
            if (spool is not null)
            {
                await spool.DisposeAsync();
            }
        }
    }

    public async Task<Stream?> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = bucket, Key = ObjectKey(key) };
        if (offset > 0 || length is not null)
        {
            // The string form: the numeric one is not sent for the first byte alone (0-0).
            request.ByteRange = new ByteRange(length is { } count ? $"bytes={offset}-{offset + count - 1}" : $"bytes={offset}-");
        }

        GetObjectResponse response;
        try
        {
            response = await client.GetObjectAsync(request, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        // Some S3-compatible servers widen a range (s3rver answers bytes=0-0 with everything): check where it starts, cut where it ends.
        if (offset > 0 && !(response.ContentRange?.StartsWith($"bytes {offset}-", StringComparison.Ordinal) ?? false))
        {
            response.Dispose();
            throw new InvalidOperationException($"The object store answered a request for bytes from {offset} with '{response.ContentRange}'.");
        }

        return new BoundedReadStream(response.ResponseStream, Math.Min(length ?? response.ContentLength, response.ContentLength), response);
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetObjectMetadataAsync(bucket, ObjectKey(key), cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        client.DeleteObjectAsync(bucket, ObjectKey(key), cancellationToken);

    public async Task CheckAsync(CancellationToken cancellationToken) =>
        await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = keyPrefix, MaxKeys = 1 }, cancellationToken);

    private string ObjectKey(string key)
    {
        BlobKeys.Check(key);
        return keyPrefix + key;
    }
}
