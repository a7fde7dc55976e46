using Messenger.Contracts;
using Messenger.EventBus.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Messenger.EventBus.Outbox;

/// <summary>The values of one outbox row, ready for EF Core, a batched INSERT or a binary COPY.</summary>
public sealed record OutboxRow(
    Guid EventId,
    string Topic,
    string Key,
    string Type,
    byte[] Payload,
    DateTimeOffset OccurredAt,
    string? TraceParent);

/// <summary>
/// Writes outbox rows without EF Core, for services that group-commit with their own
/// <see cref="NpgsqlTransaction"/>: insert the rows in the same transaction as the change, commit, then call
/// <see cref="OutboxSignal.Notify"/> so the relay publishes at once instead of at its next poll.
/// </summary>
/// <example>
/// <code>
/// await using var tx = await connection.BeginTransactionAsync(ct);
/// // ... COPY the messages ...
/// await OutboxWriter.CopyAsync(connection, events.Select(e => OutboxWriter.CreateRow(e)), ct);
/// await tx.CommitAsync(ct);
/// outboxSignal.Notify();
/// </code>
/// </example>
public static class OutboxWriter
{
    public const string TableName = "outbox_messages";

    private const string Columns = "event_id, topic, key, type, payload, occurred_at, trace_parent";

    /// <summary>Builds the envelope of <paramref name="event"/> and the row that carries it.</summary>
    public static OutboxRow CreateRow<TEvent>(TEvent @event, DateTimeOffset? occurredAt = null, Guid? eventId = null)
        where TEvent : IIntegrationEvent
    {
        var envelope = EventEnvelope.Create(@event, occurredAt ?? DateTimeOffset.UtcNow, eventId);
        return new OutboxRow(
            envelope.Id,
            TEvent.Topic,
            @event.PartitionKey,
            envelope.Type,
            envelope.ToUtf8Bytes(),
            envelope.OccurredAt,
            EventBusTelemetry.CurrentContext().TraceParent);
    }

    /// <summary>The COPY statement for <see cref="WriteAsync"/>; <paramref name="table"/> is used as written (quote it if needed).</summary>
    public static string CopyCommand(string table = TableName) => $"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)";

    /// <summary>Writes one row into a binary COPY begun with <see cref="CopyCommand"/>.</summary>
    public static async Task WriteAsync(NpgsqlBinaryImporter importer, OutboxRow row, CancellationToken cancellationToken)
    {
        await importer.StartRowAsync(cancellationToken);
        await importer.WriteAsync(row.EventId, NpgsqlDbType.Uuid, cancellationToken);
        await importer.WriteAsync(row.Topic, NpgsqlDbType.Text, cancellationToken);
        await importer.WriteAsync(row.Key, NpgsqlDbType.Text, cancellationToken);
        await importer.WriteAsync(row.Type, NpgsqlDbType.Text, cancellationToken);
        await importer.WriteAsync(row.Payload, NpgsqlDbType.Bytea, cancellationToken);
        await importer.WriteAsync(row.OccurredAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
        if (row.TraceParent is null)
        {
            await importer.WriteNullAsync(cancellationToken);
        }
        else
        {
            await importer.WriteAsync(row.TraceParent, NpgsqlDbType.Text, cancellationToken);
        }
    }

    /// <summary>Copies <paramref name="rows"/> in the connection's current transaction.</summary>
    public static async Task<ulong> CopyAsync(NpgsqlConnection connection, IEnumerable<OutboxRow> rows, CancellationToken cancellationToken, string table = TableName)
    {
        await using var importer = await connection.BeginBinaryImportAsync(CopyCommand(table), cancellationToken);
        foreach (var row in rows)
        {
            await WriteAsync(importer, row, cancellationToken);
        }

        return await importer.CompleteAsync(cancellationToken);
    }

    /// <summary>One INSERT of <paramref name="row"/>, to add to an <see cref="NpgsqlBatch"/> of the service's own.</summary>
    public static NpgsqlBatchCommand InsertCommand(OutboxRow row, string table = TableName) => new(
        $"INSERT INTO {table} ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7)")
    {
        Parameters =
        {
            new NpgsqlParameter { Value = row.EventId, NpgsqlDbType = NpgsqlDbType.Uuid },
            new NpgsqlParameter { Value = row.Topic, NpgsqlDbType = NpgsqlDbType.Text },
            new NpgsqlParameter { Value = row.Key, NpgsqlDbType = NpgsqlDbType.Text },
            new NpgsqlParameter { Value = row.Type, NpgsqlDbType = NpgsqlDbType.Text },
            new NpgsqlParameter { Value = row.Payload, NpgsqlDbType = NpgsqlDbType.Bytea },
            new NpgsqlParameter { Value = row.OccurredAt.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz },
            new NpgsqlParameter { Value = (object?)row.TraceParent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
        },
    };

    /// <summary>
    /// One INSERT of all <paramref name="rows"/> (arrays unnested server-side), to add to an <see cref="NpgsqlBatch"/>
    /// beside the change they announce: a whole batch of events in the round trip the change already makes.
    /// </summary>
    public static NpgsqlBatchCommand InsertManyCommand(IReadOnlyCollection<OutboxRow> rows, string table = TableName) => new(
        $"INSERT INTO {table} ({Columns}) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::timestamptz[], $7::text[])")
    {
        Parameters =
        {
            new NpgsqlParameter { Value = rows.Select(r => r.EventId).ToArray() },
            new NpgsqlParameter { Value = rows.Select(r => r.Topic).ToArray() },
            new NpgsqlParameter { Value = rows.Select(r => r.Key).ToArray() },
            new NpgsqlParameter { Value = rows.Select(r => r.Type).ToArray() },
            new NpgsqlParameter { Value = rows.Select(r => r.Payload).ToArray() },
            new NpgsqlParameter { Value = rows.Select(r => r.OccurredAt.ToUniversalTime()).ToArray() },
            new NpgsqlParameter { Value = rows.Select(r => r.TraceParent).ToArray() },
        },
    };

    internal static OutboxMessage ToEntity(OutboxRow row) => new()
    {
        EventId = row.EventId,
        Topic = row.Topic,
        Key = row.Key,
        Type = row.Type,
        Payload = row.Payload,
        OccurredAt = row.OccurredAt,
        TraceParent = row.TraceParent,
    };
}
