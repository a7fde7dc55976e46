using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Messenger.EventBus.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Messenger.EventBus.Tests.Infrastructure;

/// <summary>A service's database: its own data plus the outbox and the processed-events table.</summary>
public sealed class TestDbContext(DbContextOptions<TestDbContext> options) : DbContext(options)
{
    public DbSet<Note> Notes => Set<Note>();

    public DbSet<CreditEntry> Credits => Set<CreditEntry>();

    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddOutbox();
        modelBuilder.AddProcessedEvents();
        modelBuilder.Entity<Note>().ToTable("notes");
        modelBuilder.Entity<CreditEntry>().ToTable("credits");
    }

    public static async Task<string> CreateDatabaseAsync(Messenger.Testing.PostgresServer postgres)
    {
        var connectionString = await postgres.CreateDatabaseAsync("eventbus");
        await using var db = Open(connectionString);
        await db.Database.EnsureCreatedAsync(TestContext.Current.CancellationToken);
        return connectionString;
    }

    public static TestDbContext Open(string connectionString) =>
        new(new DbContextOptionsBuilder<TestDbContext>().UseNpgsql(connectionString).Options);
}

public sealed class Note
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Text { get; set; }
}

public sealed class CreditEntry
{
    public long Id { get; set; }

    public Guid EventId { get; set; }

    public required string Account { get; set; }

    public int Amount { get; set; }
}

/// <summary>Applies each credit once however often it is delivered: the pattern a real consumer follows.</summary>
public sealed class CreditHandler(TestDbContext db, Probe probe) : IEventHandler<Credited>
{
    public async Task HandleAsync(EventContext<Credited> context, CancellationToken cancellationToken)
    {
        probe.CountInvocation(context.ConsumerGroup, context.EventId, context.Attempt);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.TryMarkProcessedAsync(context.EventId, context.ConsumerGroup, cancellationToken))
        {
            return;
        }

        db.Credits.Add(new CreditEntry { EventId = context.EventId, Account = context.Event.Account, Amount = context.Event.Amount });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
