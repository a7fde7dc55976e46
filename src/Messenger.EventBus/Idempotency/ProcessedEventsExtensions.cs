using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Messenger.EventBus.Idempotency;

/// <summary>
/// Remembers which events a consumer has applied, so a redelivered event (delivery is at-least-once)
/// has no second effect.
/// </summary>
/// <example>
/// Mark and apply in one transaction: either both commit or neither does.
/// <code>
/// public async Task HandleAsync(EventContext&lt;UserRegistered&gt; context, CancellationToken ct)
/// {
///     await using var tx = await db.Database.BeginTransactionAsync(ct);
///     if (!await db.TryMarkProcessedAsync(context.EventId, context.ConsumerGroup, ct))
///     {
///         return; // applied before: the commit of that delivery already holds the effect
///     }
///
///     db.Profiles.Add(Profile.For(context.Event));
///     await db.SaveChangesAsync(ct);
///     await tx.CommitAsync(ct);
/// }
/// </code>
/// A second delivery running at the same moment waits on the first one's row lock and then sees it.
/// </example>
public static class ProcessedEventsExtensions
{
    public const string TableName = "processed_events";

    /// <summary>Maps <see cref="ProcessedEvent"/> to the table <c>processed_events</c>.</summary>
    public static ModelBuilder AddProcessedEvents(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ProcessedEvent>(processed =>
        {
            processed.ToTable(TableName);
            processed.HasKey(p => new { p.Consumer, p.EventId });
            processed.Property(p => p.Consumer).HasColumnName("consumer");
            processed.Property(p => p.EventId).HasColumnName("event_id");
            processed.Property(p => p.ProcessedAt).HasColumnName("processed_at").HasDefaultValueSql("now()");
        });
        return modelBuilder;
    }

    /// <summary>
    /// Records that <paramref name="consumer"/> applies <paramref name="eventId"/> (INSERT … ON CONFLICT DO NOTHING).
    /// Returns false when it was recorded before. Must run inside the transaction that applies the
    /// event's effects, so the mark and the effects commit or roll back together.
    /// </summary>
    /// <exception cref="InvalidOperationException">No transaction is open, or the model lacks <see cref="AddProcessedEvents"/>.</exception>
    public static async Task<bool> TryMarkProcessedAsync(this DbContext dbContext, Guid eventId, string consumer, CancellationToken cancellationToken)
    {
        var table = ProcessedEventsTable(dbContext, consumer, nameof(TryMarkProcessedAsync));
        // The table name comes from the model, never from input; the values are parameters.
        var insert = "INSERT INTO " + table + " (consumer, event_id, processed_at) VALUES ({0}, {1}, now()) ON CONFLICT DO NOTHING";
        var inserted = await dbContext.Database.ExecuteSqlRawAsync(insert, [consumer, eventId], cancellationToken);
        return inserted == 1;
    }

    /// <summary>
    /// Records that <paramref name="consumer"/> applies each of <paramref name="eventIds"/> in one statement,
    /// and returns those not recorded before (each once, also when it appears twice). The same rules
    /// as <see cref="TryMarkProcessedAsync"/>: inside the transaction that applies the effects.
    /// </summary>
    public static async Task<IReadOnlySet<Guid>> MarkProcessedAsync(
        this DbContext dbContext, IReadOnlyCollection<Guid> eventIds, string consumer, CancellationToken cancellationToken)
    {
        var table = ProcessedEventsTable(dbContext, consumer, nameof(MarkProcessedAsync));
        var insert = "INSERT INTO " + table + " (consumer, event_id, processed_at) SELECT {0}, id, now() FROM unnest({1}) AS id " +
            "ON CONFLICT DO NOTHING RETURNING event_id AS \"Value\"";
        var marked = await dbContext.Database.SqlQueryRaw<Guid>(insert, consumer, eventIds.ToArray()).ToListAsync(cancellationToken);
        return marked.ToHashSet();
    }

    private static string ProcessedEventsTable(DbContext dbContext, string consumer, string caller)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        if (dbContext.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException(
                caller + " must run inside the transaction that applies the event's effects; " +
                "call dbContext.Database.BeginTransactionAsync() first, or a crash between the two would lose the effect.");
        }

        var entity = dbContext.Model.FindEntityType(typeof(ProcessedEvent))
            ?? throw new InvalidOperationException($"{dbContext.GetType().Name} does not map processed events; call modelBuilder.AddProcessedEvents() in OnModelCreating.");
        return dbContext.GetService<ISqlGenerationHelper>().DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());
    }
}
