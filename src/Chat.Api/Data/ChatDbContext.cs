using Messenger.EventBus.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Chat.Api.Data;

/// <summary>
/// Chat's PostgreSQL database: conversations, members and read positions, the users and blocks it
/// learns from events, the outbox, and (in the single-node profile) the messages.
/// </summary>
public sealed class ChatDbContext(DbContextOptions<ChatDbContext> options) : DbContext(options)
{
    public DbSet<ConversationRow> Conversations => Set<ConversationRow>();

    public DbSet<MemberRow> Members => Set<MemberRow>();

    public DbSet<UserRow> Users => Set<UserRow>();

    public DbSet<BlockRow> Blocks => Set<BlockRow>();

    public DbSet<MessageRow> Messages => Set<MessageRow>();

    public DbSet<AttachmentRow> Attachments => Set<AttachmentRow>();

    public DbSet<AttachmentPostRow> AttachmentPosts => Set<AttachmentPostRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ConversationRow>(conversation =>
        {
            conversation.ToTable("conversations");
            conversation.Property(c => c.Type).HasMaxLength(16);
            conversation.Property(c => c.Title).HasMaxLength(100);
            conversation.Property(c => c.DirectKey).HasMaxLength(80);
            conversation.HasIndex(c => c.DirectKey).IsUnique().HasFilter("direct_key IS NOT NULL");
            conversation.HasMany(c => c.Members).WithOne().HasForeignKey(m => m.ConversationId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<MemberRow>(member =>
        {
            member.ToTable("conversation_members");
            member.HasKey(m => new { m.ConversationId, m.UserId });
            member.Property(m => m.Role).HasMaxLength(16);
            member.HasIndex(m => m.UserId);
        });

        modelBuilder.Entity<UserRow>(user =>
        {
            user.ToTable("users");
            user.Property(u => u.Id).ValueGeneratedNever();
            user.Property(u => u.Username).HasMaxLength(64);
            user.Property(u => u.DisplayName).HasMaxLength(128);
        });

        modelBuilder.Entity<BlockRow>(block =>
        {
            block.ToTable("user_blocks");
            block.HasKey(b => new { b.BlockerId, b.BlockedId });
        });

        modelBuilder.Entity<MessageRow>(message =>
        {
            message.ToTable("messages");
            message.Property(m => m.Id).ValueGeneratedNever();
            message.Property(m => m.ClientMessageId).HasMaxLength(100);
            message.Property(m => m.Content).HasColumnType("jsonb");
            message.Property(m => m.Reactions).HasColumnType("jsonb");
            message.HasIndex(m => new { m.ConversationId, m.Seq }).IsUnique();
            message.HasIndex(m => new { m.ConversationId, m.SenderId, m.ClientMessageId }).IsUnique();
            // 'simple' does not stem, so every language is searched the same way.
            message.Property(m => m.Search).HasComputedColumnSql(
                "to_tsvector('simple'::regconfig, coalesce(content->>'text', '') || ' ' || coalesce(content->>'name', ''))", stored: true);
            message.HasIndex(m => m.Search).HasMethod("GIN");
        });

        modelBuilder.Entity<AttachmentRow>(attachment =>
        {
            attachment.ToTable("attachments");
            attachment.Property(a => a.Id).ValueGeneratedNever();
            attachment.Property(a => a.Name).HasMaxLength(255);
            attachment.Property(a => a.Kind).HasMaxLength(16);
            attachment.Property(a => a.MimeType).HasMaxLength(255);
            attachment.Property(a => a.Sha256).HasMaxLength(64);
            attachment.Property(a => a.BlobKey).HasMaxLength(200);
            attachment.Property(a => a.ThumbnailKey).HasMaxLength(200);
            attachment.Property(a => a.ThumbnailMimeType).HasMaxLength(64);
            // The sweeper looks for old attachments that no message carries.
            attachment.HasIndex(a => a.CreatedAt);
        });

        modelBuilder.Entity<AttachmentPostRow>(post =>
        {
            post.ToTable("attachment_posts");
            post.HasKey(p => new { p.AttachmentId, p.MessageId });
            post.HasIndex(p => p.MessageId);
        });

        modelBuilder.AddOutbox();
    }
}
