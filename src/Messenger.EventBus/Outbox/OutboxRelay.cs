using System.IO.Hashing;
using System.Text;
using Messenger.EventBus.Diagnostics;
using Messenger.EventBus.Transport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messenger.EventBus.Outbox;

/// <summary>
/// Publishes the outbox of <typeparamref name="TDbContext"/>'s database. Each round is one transaction
/// of two round trips: take the database's relay lock and delete the oldest rows (returning them),
/// publish them, commit. A failed
/// publish rolls back, so the rows stay and are tried again after a back-off: an outage of the event
/// log delays events and loses none. The lock keeps one relay per database active, which keeps the
/// order of rows, and so of events with one key.
/// </summary>
internal sealed class OutboxRelay<TDbContext>(
    IServiceScopeFactory scopes,
    IEventPublisherTransport transport,
    OutboxSignal signal,
    IOptions<EventBusOptions> options,
    TimeProvider time,
    ILogger<OutboxRelay<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var settings = options.Value.Outbox;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int published;
                do
                {
                    published = await RelayBatchAsync(settings.BatchSize, stoppingToken);
                }
                while (published == settings.BatchSize && !stoppingToken.IsCancellationRequested);

                if (failures > 0)
                {
                    logger.LogInformation("The outbox relay of {Context} is publishing again after {Failures} failed attempts",
                        typeof(TDbContext).Name, failures);
                    failures = 0;
                }

                await signal.WaitAsync(settings.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                EventBusTelemetry.OutboxFailures.Add(1);
                var delay = Backoff.Delay(failures, FirstRetryDelay, settings.MaxBackoff);
                logger.LogWarning(ex, "The outbox relay of {Context} could not publish (attempt {Failures}); the events stay in the outbox and are retried in {Delay}",
                    typeof(TDbContext).Name, failures, delay);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Publishes up to <paramref name="batchSize"/> of the oldest rows; returns how many.</summary>
    internal async Task<int> RelayBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var factory = scope.ServiceProvider.GetService<IDbContextFactory<TDbContext>>();
        await using var owned = factory is null ? null : await factory.CreateDbContextAsync(cancellationToken);
        var db = owned ?? scope.ServiceProvider.GetRequiredService<TDbContext>();
        var table = OutboxTable(db);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // One round trip takes the relay lock and the oldest rows: the lock is an uncorrelated subquery
        // (evaluated once), so a relay that does not get it deletes and sees nothing. The rows are
        // deleted now and come back if the publish fails, since the transaction then rolls back.
        var rows = new List<(long Id, TransportMessage Message, DateTimeOffset CreatedAt)>(batchSize);
        await using (var take = new NpgsqlCommand(
            "DELETE FROM " + table + " WHERE id = ANY(ARRAY(SELECT id FROM " + table + " WHERE (SELECT pg_try_advisory_xact_lock($2)) ORDER BY id LIMIT $1)) " +
            "RETURNING id, event_id, topic, key, type, payload, trace_parent, created_at",
            connection,
            transaction))
        {
            take.Parameters.Add(new NpgsqlParameter { Value = batchSize });
            take.Parameters.Add(new NpgsqlParameter { Value = LockKey(table) });
            await using var reader = await take.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var message = new TransportMessage(reader.GetString(2), reader.GetString(3), reader.GetGuid(1), reader.GetString(4), reader.GetFieldValue<byte[]>(5));
                if (!reader.IsDBNull(6))
                {
                    message = message with { Headers = new Dictionary<string, string> { [MessageHeaders.TraceParent] = reader.GetString(6) } };
                }

                rows.Add((reader.GetInt64(0), message, reader.GetFieldValue<DateTimeOffset>(7)));
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        // RETURNING does not keep the subquery's order; the outbox order is the events' order per key.
        rows.Sort((a, b) => a.Id.CompareTo(b.Id));
        var messages = rows.ConvertAll(r => r.Message);
        await transport.PublishAsync(messages, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        EventBusTelemetry.OutboxPublished.Add(messages.Count);
        var now = time.GetUtcNow();
        foreach (var row in rows)
        {
            EventBusTelemetry.OutboxLag.Record(Math.Max(0, (now - row.CreatedAt).TotalSeconds));
        }

        return messages.Count;
    }

    private static string OutboxTable(DbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(OutboxMessage))
            ?? throw new InvalidOperationException($"{typeof(TDbContext).Name} does not map the outbox; call modelBuilder.AddOutbox() in OnModelCreating.");
        return db.GetService<ISqlGenerationHelper>().DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());
    }

    // Advisory locks are per database; the key only has to differ from other locks the service takes.
    private static long LockKey(string table) =>
        (long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes("messenger.outbox-relay:" + table));
}
