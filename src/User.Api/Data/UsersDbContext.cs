using Messenger.EventBus.Idempotency;
using Messenger.EventBus.Outbox;
using Microsoft.EntityFrameworkCore;

namespace User.Api.Data;

public sealed class UsersDbContext(DbContextOptions<UsersDbContext> options) : DbContext(options)
{
    public DbSet<Profile> Profiles => Set<Profile>();

    public DbSet<Block> Blocks => Set<Block>();

    public DbSet<FriendEdge> FriendEdges => Set<FriendEdge>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("pg_trgm");

        modelBuilder.Entity<Profile>(profile =>
        {
            profile.ToTable("profiles");
            profile.HasKey(p => p.UserId);
            profile.Property(p => p.UserId).ValueGeneratedNever();
            profile.Property(p => p.Username).HasMaxLength(32);
            profile.HasIndex(p => p.Username).IsUnique();
            profile.Property(p => p.DisplayName).HasMaxLength(64);
            profile.Property(p => p.SearchName).HasMaxLength(64);
            profile.Property(p => p.Bio).HasMaxLength(500);
            profile.Property(p => p.AvatarUrl).HasMaxLength(2048);
            profile.Property(p => p.SearchableBy).HasConversion<string>().HasMaxLength(16);
            profile.Property(p => p.FriendRequestsFrom).HasConversion<string>().HasMaxLength(16);
            profile.Property(p => p.FriendListVisibleTo).HasConversion<string>().HasMaxLength(16);
            profile.Ignore(p => p.Privacy);

            // Prefixes (any length, any script) through b-trees in byte order ("C"), which serve both
            // LIKE 'abc%' and the paging order of prefix matches; fuzzy matches through trigrams.
            profile.HasIndex(p => p.Username, "ix_profiles_username_prefix").HasDatabaseName("ix_profiles_username_prefix").UseCollation("C");
            profile.HasIndex(p => new { p.SearchName, p.UserId }, "ix_profiles_search_name_prefix").HasDatabaseName("ix_profiles_search_name_prefix")
                .UseCollation("C", null!); // null: uuid has no collation (the API's element type is not annotated)
            profile.HasIndex(p => p.Username, "ix_profiles_username_trgm").HasDatabaseName("ix_profiles_username_trgm").HasMethod("gin").HasOperators("gin_trgm_ops");
            profile.HasIndex(p => p.SearchName, "ix_profiles_search_name_trgm").HasDatabaseName("ix_profiles_search_name_trgm").HasMethod("gin").HasOperators("gin_trgm_ops");
        });

        modelBuilder.Entity<Block>(block =>
        {
            block.ToTable("blocks");
            block.HasKey(b => new { b.BlockerId, b.BlockedId });
            block.HasIndex(b => new { b.BlockerId, b.CreatedAt, b.BlockedId });
            block.HasOne(b => b.Blocked).WithMany().HasForeignKey(b => b.BlockedId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<FriendEdge>(edge =>
        {
            edge.ToTable("friend_edges");
            edge.HasKey(e => new { e.UserId, e.FriendId });
            // Queries see friendships in force; a removal's row stays to order late events.
            edge.HasQueryFilter(e => e.IsFriend);
        });

        modelBuilder.AddOutbox();
        modelBuilder.AddProcessedEvents();
    }
}
