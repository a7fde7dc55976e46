using Chat.Api.Data;
using Chat.Api.Data.Blobs;
using Chat.Api.Domain.Attachments;
using Microsoft.Extensions.Options;

namespace Chat.Api.Extensions;

public static class AttachmentServiceExtensions
{
    /// <summary>Uploads, the blob store chosen by <c>Chat:Attachments:Store</c>, signed links and the orphan sweeper.</summary>
    public static WebApplicationBuilder AddChatAttachments(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AttachmentOptions>().BindConfiguration(AttachmentOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate<IHostEnvironment>(
                (options, environment) => AttachmentLinks.SigningKey(options, environment).Length >= 32,
                "Chat:Attachments:SigningKey must be set to a base64 key of 32 bytes or more (e.g. `openssl rand -base64 32`), the same on every instance.")
            .Validate(
                options => options.Store != BlobStores.S3 || !string.IsNullOrWhiteSpace(options.S3.ServiceUrl),
                "Chat:Attachments:S3:ServiceUrl must be set when Chat:Attachments:Store is 's3'.")
            .Validate(
                options => options.OrphanLifetime > TimeSpan.FromMinutes(30) && options.SweepInterval > TimeSpan.Zero
                    && options.LinkLifetime > TimeSpan.Zero && options.UploadWindow > TimeSpan.Zero,
                "Chat:Attachments: OrphanLifetime must exceed 30 minutes; SweepInterval, LinkLifetime and UploadWindow must be positive.")
            .ValidateOnStart();

        if (string.Equals(builder.Configuration[$"{AttachmentOptions.SectionName}:Store"], BlobStores.S3, StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton(sp => S3BlobStore.CreateClient(sp.GetRequiredService<IOptions<AttachmentOptions>>().Value.S3));
            services.AddSingleton<IBlobStore>(sp =>
            {
                var s3 = sp.GetRequiredService<IOptions<AttachmentOptions>>().Value.S3;
                return new S3BlobStore(sp.GetRequiredService<Amazon.S3.IAmazonS3>(), s3.Bucket, s3.KeyPrefix);
            });
        }
        else
        {
            services.AddSingleton<IBlobStore>(sp => new FileSystemBlobStore(
                sp.GetRequiredService<IOptions<AttachmentOptions>>().Value.Directory is { Length: > 0 } directory
                    ? directory
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "messenger", "chat-attachments")));
        }

        services.AddHealthChecks().AddCheck<BlobStoreHealthCheck>("attachments");
        services.AddSingleton<AttachmentStore>();
        services.AddSingleton<ImageProcessor>();
        services.AddSingleton<AttachmentUploads>();
        services.AddSingleton<AttachmentReferences>();
        services.AddSingleton<AttachmentLinks>();
        services.AddSingleton<UploadRateLimiter>();
        services.AddSingleton<AttachmentSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<AttachmentSweeper>());
        return builder;
    }
}
