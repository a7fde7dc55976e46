using Messenger.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Messenger.EventBus.Outbox;

public static class OutboxModelExtensions
{
    /// <summary>Maps <see cref="OutboxMessage"/> to the table <c>outbox_messages</c>.</summary>
    public static ModelBuilder AddOutbox(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable(OutboxWriter.TableName);
            outbox.HasKey(m => m.Id);
            outbox.Property(m => m.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            outbox.Property(m => m.EventId).HasColumnName("event_id");
            outbox.Property(m => m.Topic).HasColumnName("topic");
            outbox.Property(m => m.Key).HasColumnName("key");
            outbox.Property(m => m.Type).HasColumnName("type");
            outbox.Property(m => m.Payload).HasColumnName("payload").HasColumnType("bytea");
            outbox.Property(m => m.OccurredAt).HasColumnName("occurred_at");
            outbox.Property(m => m.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()").ValueGeneratedOnAdd();
            outbox.Property(m => m.TraceParent).HasColumnName("trace_parent");
        });
        return modelBuilder;
    }

    /// <summary>
    /// Adds <paramref name="event"/> to the outbox; it is written by the next <c>SaveChanges</c>, in the
    /// same transaction as the change it announces, and published by the relay after the commit.
    /// </summary>
    /// <returns>The event id, the idempotency key consumers will see.</returns>
    public static Guid AddOutboxEvent<TEvent>(this DbContext dbContext, TEvent @event, DateTimeOffset? occurredAt = null)
        where TEvent : IIntegrationEvent
    {
        var row = OutboxWriter.CreateRow(@event, occurredAt);
        dbContext.Set<OutboxMessage>().Add(OutboxWriter.ToEntity(row));
        return row.EventId;
    }
}
