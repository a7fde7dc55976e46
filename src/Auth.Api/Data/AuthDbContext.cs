using Messenger.EventBus;
using Messenger.EventBus.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Auth.Api.Data;

public sealed class AuthDbContext(DbContextOptions<AuthDbContext> options) : DbContext(options)
{
    public DbSet<Account> Accounts => Set<Account>();

    public DbSet<Session> Sessions => Set<Session>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<ExternalLogin> ExternalLogins => Set<ExternalLogin>();

    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Account>(account =>
        {
            account.ToTable("accounts");
            account.Property(a => a.Username).HasMaxLength(32);
            account.HasIndex(a => a.Username).IsUnique();
            account.Property(a => a.Email).HasMaxLength(254);
            account.HasIndex(a => a.Email).IsUnique().HasFilter("email IS NOT NULL");
            account.Property(a => a.DisplayName).HasMaxLength(64);
        });

        modelBuilder.Entity<Session>(session =>
        {
            session.ToTable("sessions");
            session.HasOne(s => s.Account).WithMany().HasForeignKey(s => s.AccountId).OnDelete(DeleteBehavior.Cascade);
            session.HasIndex(s => s.AccountId);
            session.Property(s => s.UserAgent).HasMaxLength(512);
            session.Property(s => s.IpAddress).HasMaxLength(64);
            session.Property(s => s.RevokedReason).HasMaxLength(64);
        });

        modelBuilder.Entity<RefreshToken>(token =>
        {
            token.ToTable("refresh_tokens");
            token.HasOne(t => t.Session).WithMany().HasForeignKey(t => t.SessionId).OnDelete(DeleteBehavior.Cascade);
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.HasIndex(t => t.SessionId);
        });

        modelBuilder.Entity<ExternalLogin>(login =>
        {
            login.ToTable("external_logins");
            login.HasKey(l => new { l.Provider, l.Subject });
            login.Property(l => l.Provider).HasMaxLength(64);
            login.Property(l => l.Subject).HasMaxLength(255);
            login.HasOne(l => l.Account).WithMany(a => a.ExternalLogins).HasForeignKey(l => l.AccountId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<SigningKey>(key =>
        {
            key.ToTable("signing_keys");
            key.Property(k => k.Id).HasMaxLength(64);
            key.Property(k => k.Algorithm).HasMaxLength(16);
        });

        modelBuilder.AddOutbox();
    }
}
