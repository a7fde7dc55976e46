using Messenger.EventBus.Idempotency;
using Microsoft.EntityFrameworkCore;

namespace Notification.Api.Data;

public sealed class NotificationDbContext(DbContextOptions<NotificationDbContext> options) : DbContext(options)
{
    /// <summary>The partial unique index that keeps one unread notification per user and subject (the grouping upsert's conflict target).</summary>
    public const string UnreadSubjectIndex = "ux_notifications_unread_subject";

    public DbSet<NotificationRow> Notifications => Set<NotificationRow>();

    public DbSet<GroupedMessage> GroupedMessages => Set<GroupedMessage>();

    public DbSet<UserStream> UserStreams => Set<UserStream>();

    public DbSet<MutedConversation> MutedConversations => Set<MutedConversation>();

    public DbSet<PushSubscriptionRow> PushSubscriptions => Set<PushSubscriptionRow>();

    public DbSet<PushDelivery> PushDeliveries => Set<PushDelivery>();

    public DbSet<StoredVapidKeys> VapidKeys => Set<StoredVapidKeys>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<NotificationRow>(notification =>
        {
            notification.ToTable("notifications");
            notification.Property(n => n.Kind).HasMaxLength(32);
            notification.Property(n => n.Subject).HasMaxLength(128);
            notification.Property(n => n.Data).HasColumnType("jsonb");
            notification.Property(n => n.LastPreview).HasMaxLength(1024);
            notification.HasIndex(n => new { n.UserId, n.Subject })
                .IsUnique()
                .HasFilter("read_at IS NULL AND withdrawn_at IS NULL")
                .HasDatabaseName(UnreadSubjectIndex);
            notification.HasIndex(n => new { n.UserId, n.UpdatedAt, n.Id }).IsDescending(false, true, true);
            notification.HasIndex(n => new { n.UserId, n.StreamSeq });
            notification.HasIndex(n => n.CreatedAt);
        });

        modelBuilder.Entity<GroupedMessage>(message =>
        {
            message.ToTable("notification_messages");
            message.HasKey(m => new { m.NotificationId, m.MessageId });
            message.HasIndex(m => m.MessageId);
            message.Property(m => m.SenderUsername).HasMaxLength(64);
            message.Property(m => m.Preview).HasMaxLength(1024);
            message.HasOne<NotificationRow>().WithMany().HasForeignKey(m => m.NotificationId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<UserStream>(stream =>
        {
            stream.ToTable("user_streams");
            stream.HasKey(s => s.UserId);
        });

        modelBuilder.Entity<MutedConversation>(muted =>
        {
            muted.ToTable("muted_conversations");
            muted.HasKey(m => new { m.UserId, m.ConversationId });
        });

        modelBuilder.Entity<PushSubscriptionRow>(subscription =>
        {
            subscription.ToTable("push_subscriptions");
            subscription.Property(s => s.Endpoint).HasMaxLength(2048);
            subscription.HasIndex(s => s.Endpoint).IsUnique();
            subscription.HasIndex(s => s.UserId);
            subscription.Property(s => s.P256dh).HasMaxLength(128);
            subscription.Property(s => s.Auth).HasMaxLength(64);
        });

        modelBuilder.Entity<PushDelivery>(delivery =>
        {
            delivery.ToTable("push_deliveries");
            delivery.Property(d => d.Id).UseIdentityByDefaultColumn();
            delivery.HasIndex(d => new { d.SubscriptionId, d.NotificationId }).IsUnique();
            delivery.HasIndex(d => d.NextAttemptAt);
            delivery.HasOne<PushSubscriptionRow>().WithMany().HasForeignKey(d => d.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
            delivery.HasOne<NotificationRow>().WithMany().HasForeignKey(d => d.NotificationId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<StoredVapidKeys>(keys =>
        {
            keys.ToTable("vapid_keys");
            keys.Property(k => k.Id).ValueGeneratedNever();
            keys.Property(k => k.Note).HasMaxLength(256);
        });

        modelBuilder.AddProcessedEvents();
    }
}
