using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Api.Data.Blobs;

/// <summary>
/// Where attachment bytes live: a folder (<see cref="FileSystemBlobStore"/>, single node) or an
/// S3-compatible bucket (<see cref="S3BlobStore"/>, scale-out). Blobs are written once under a
/// key and never changed; a key is lower-case letters, digits, '-', '_', '.' and '/'.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores <paramref name="length"/> bytes read from <paramref name="content"/> under <paramref name="key"/>, replacing what was there.</summary>
    Task PutAsync(string key, Stream content, long length, string contentType, CancellationToken cancellationToken);

    /// <summary>
    /// The blob's bytes from <paramref name="offset"/>, <paramref name="length"/> of them (to the end
    /// when null), or null when there is no such blob. The caller keeps the range inside the blob.
    /// </summary>
    Task<Stream?> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the blob; removing one that is not there is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Throws when the store cannot be used (the folder is not writable, the bucket is missing or refuses the credentials): the readiness check.</summary>
    Task CheckAsync(CancellationToken cancellationToken);
}

/// <summary>Readiness: Chat cannot take or serve attachments without its blob store.</summary>
internal sealed class BlobStoreHealthCheck(IBlobStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.CheckAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, ex.Message);
        }
    }
}

internal static class BlobKeys
{
    public static void Check(string key)
    {
        if (key.Length is 0 or > 200 || key[0] == '/' || key.Contains("..", StringComparison.Ordinal)
            || !key.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or '/'))
        {
            throw new ArgumentException($"'{key}' is not a blob key.", nameof(key));
        }
    }
}
