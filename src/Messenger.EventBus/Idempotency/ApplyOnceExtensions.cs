using Microsoft.EntityFrameworkCore;

namespace Messenger.EventBus.Idempotency;

public static class ApplyOnceExtensions
{
    /// <summary>
    /// Runs <paramref name="apply"/> in a new transaction together with the processed-event mark of
    /// <paramref name="eventId"/>, and commits both; an event applied before is skipped. The
    /// pattern of <see cref="ProcessedEventsExtensions.TryMarkProcessedAsync"/> in one call.
    /// </summary>
    /// <returns>False when the event had been applied before.</returns>
    public static async Task<bool> ApplyOnceAsync(
        this DbContext dbContext, Guid eventId, string consumer, Func<CancellationToken, Task> apply, CancellationToken cancellationToken)
    {
        await using var transaction = await dbContext.Database.BeginTransactionAsync(cancellationToken);
        if (!await dbContext.TryMarkProcessedAsync(eventId, consumer, cancellationToken))
        {
            return false;
        }

        await apply(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// The same for many events in one transaction: <paramref name="apply"/> gets the ids of those not
    /// applied before (none of them is applied twice) and commits with their processed-event marks.
    /// </summary>
    /// <returns>The ids that were applied now.</returns>
    public static async Task<IReadOnlySet<Guid>> ApplyOnceAsync(
        this DbContext dbContext, IReadOnlyCollection<Guid> eventIds, string consumer, Func<IReadOnlySet<Guid>, CancellationToken, Task> apply, CancellationToken cancellationToken)
    {
        await using var transaction = await dbContext.Database.BeginTransactionAsync(cancellationToken);
        var fresh = await dbContext.MarkProcessedAsync(eventIds, consumer, cancellationToken);
        if (fresh.Count == 0)
        {
            return fresh;
        }

        await apply(fresh, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return fresh;
    }
}
