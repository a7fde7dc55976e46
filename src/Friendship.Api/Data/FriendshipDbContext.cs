using Messenger.EventBus.Idempotency;
using Messenger.EventBus.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Friendship.Api.Data;

public sealed class FriendshipDbContext(DbContextOptions<FriendshipDbContext> options) : DbContext(options)
{
    public DbSet<FriendRequest> Requests => Set<FriendRequest>();

    public DbSet<FriendEdge> Friends => Set<FriendEdge>();

    public DbSet<UserBlock> Blocks => Set<UserBlock>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<FriendRequest>(request =>
        {
            request.ToTable("friend_requests");
            request.Property(r => r.Id).ValueGeneratedNever();
            request.Property(r => r.FromUsername).HasMaxLength(32);
            request.Property(r => r.ToUsername).HasMaxLength(32);
            // Answering updates "WHERE status = <as read>", so even a writer that skipped the pair lock
            // could not answer a request twice.
            request.Property(r => r.Status).HasConversion<string>().HasMaxLength(16).IsConcurrencyToken();
            request.Property(r => r.PairLow).HasComputedColumnSql("LEAST(from_user_id, to_user_id)", stored: true);
            request.Property(r => r.PairHigh).HasComputedColumnSql("GREATEST(from_user_id, to_user_id)", stored: true);

            // The database, not a check before the insert, guarantees one open request per pair:
            // two people asking each other at once cannot both succeed in creating one.
            request.HasIndex(r => new { r.PairLow, r.PairHigh }).IsUnique()
                .HasFilter($"status = '{RequestStatus.Pending}'").HasDatabaseName("ix_friend_requests_one_pending_per_pair");
            request.HasIndex(r => new { r.ToUserId, r.Status, r.CreatedAt, r.Id });
            request.HasIndex(r => new { r.FromUserId, r.Status, r.CreatedAt, r.Id });
        });

        modelBuilder.Entity<FriendEdge>(edge =>
        {
            edge.ToTable("friends");
            edge.HasKey(e => new { e.UserId, e.FriendId });
            edge.Property(e => e.FriendUsername).HasMaxLength(32);
            edge.HasIndex(e => new { e.UserId, e.Since, e.FriendId });
        });

        modelBuilder.Entity<UserBlock>(block =>
        {
            block.ToTable("blocks");
            block.HasKey(b => new { b.BlockerId, b.BlockedId });
            // Queries see only blocks in force; an unblock's row stays to order late events.
            block.HasQueryFilter(b => b.IsBlocked);
        });

        modelBuilder.AddOutbox();
        modelBuilder.AddProcessedEvents();
    }
}
