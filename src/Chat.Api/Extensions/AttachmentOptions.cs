using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Extensions;

/// <summary>Uploads, their storage and their links (section <c>Chat:Attachments</c>); see docs/decisions/0060.</summary>
public sealed class AttachmentOptions
{
    public const string SectionName = "Chat:Attachments";

    /// <summary>
    /// The development signing key, used only when the environment is Development and none is
    /// configured. Never use it elsewhere: anyone who reads this file could forge download links.
    /// </summary>
    public const string DevelopmentSigningKey = "ZGV2ZWxvcG1lbnQtb25seS1hdHRhY2htZW50LWxpbmsta2V5LW5vdC1zZWNyZXQ=";

    /// <summary><c>filesystem</c> (single node) or <c>s3</c> (any S3-compatible object storage).</summary>
    [RegularExpression("^(filesystem|s3)$", ErrorMessage = "Chat:Attachments:Store must be 'filesystem' or 's3'.")]
    public string Store { get; set; } = BlobStores.FileSystem;

    /// <summary>Where the filesystem store keeps blobs; empty means the user's local application data folder.</summary>
    public string? Directory { get; set; }

    /// <summary>Where uploads are spooled while they arrive and are checked; empty means the system's temp folder.</summary>
    public string? TempDirectory { get; set; }

    /// <summary>The largest file accepted, in bytes.</summary>
    [Range(1, 5L * 1024 * 1024 * 1024)]
    public long MaxFileBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Uploads one user may start per <see cref="UploadWindow"/>.</summary>
    [Range(1, 1_000_000)]
    public int UploadsPerWindow { get; set; } = 30;

    public TimeSpan UploadWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An image wider or taller than this is scaled down when it is re-encoded.</summary>
    [Range(16, 16_384)]
    public int MaxImageDimension { get; set; } = 4096;

    /// <summary>Images with more pixels than this (after the decoder's own downscaling) are kept as plain files: a decompression-bomb guard.</summary>
    [Range(1, 500_000_000)]
    public long MaxDecodedPixels { get; set; } = 40_000_000;

    /// <summary>The longer side of a thumbnail.</summary>
    [Range(16, 2048)]
    public int ThumbnailSize { get; set; } = 320;

    /// <summary>An attachment that no live message carries is deleted this long after its upload.</summary>
    public TimeSpan OrphanLifetime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the sweeper looks for orphans.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a signed download link stays valid (rounded up to whole five minutes, so links repeat and browsers cache).</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Base64 HMAC key (32 bytes or more) for download links; every instance needs the same one.</summary>
    public string? SigningKey { get; set; }

    [Required]
    public S3StoreOptions S3 { get; set; } = new();
}

public static class BlobStores
{
    public const string FileSystem = "filesystem";
    public const string S3 = "s3";
}

/// <summary>An S3-compatible bucket, addressed path-style (<c>{ServiceUrl}/{Bucket}/{key}</c>).</summary>
public sealed class S3StoreOptions
{
    /// <summary>Such as https://s3.eu-central-1.amazonaws.com or http://127.0.0.1:9000 (MinIO and others).</summary>
    public string? ServiceUrl { get; set; }

    public string Bucket { get; set; } = "messenger-attachments";

    public string Region { get; set; } = "us-east-1";

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>Keys go under this prefix, so one bucket can serve several deployments.</summary>
    public string KeyPrefix { get; set; } = "";
}
