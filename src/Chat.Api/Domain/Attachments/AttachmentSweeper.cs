using Chat.Api.Data;
using Chat.Api.Data.Blobs;
using Chat.Api.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Api.Domain.Attachments;

/// <summary>
/// Deletes attachments that no live message carries once they are older than
/// <see cref="AttachmentOptions.OrphanLifetime"/>: uploads never sent, and those whose messages
/// were all deleted. The record goes first (under the condition that nothing carries it), then
/// the blobs, so a blob is never deleted while a record still points at it.
/// </summary>
public sealed partial class AttachmentSweeper(
    AttachmentStore store,
    IBlobStore blobs,
    IOptions<AttachmentOptions> options,
    TimeProvider time,
    ILogger<AttachmentSweeper> logger) : BackgroundService
{
    private const int BatchSize = 500;

    /// <summary>Removes what is unused at <paramref name="now"/>; returns how many attachments went.</summary>
    public async Task<int> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var removed = 0;
        while (true)
        {
            var batch = await store.DeleteUnusedAsync(now - options.Value.OrphanLifetime, BatchSize, cancellationToken);
            foreach (var attachment in batch)
            {
                await blobs.DeleteAsync(attachment.BlobKey, cancellationToken);
                if (attachment.ThumbnailKey is { } thumbnail)
                {
                    await blobs.DeleteAsync(thumbnail, cancellationToken);
                }
            }

            removed += batch.Count;
            if (batch.Count < BatchSize)
            {
                return removed;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var removed = await SweepAsync(time.GetUtcNow(), stoppingToken);
                    if (removed > 0)
                    {
                        LogSwept(logger, removed);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSweepFailed(logger, ex is NpgsqlException ? ex.Message : ex.ToString());
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} attachments that no message carries")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping unused attachments failed; the next sweep tries again: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
