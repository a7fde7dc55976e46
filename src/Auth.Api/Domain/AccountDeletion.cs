using Auth.Api.Data;
using Auth.Api.Sessions;
using Messenger.Contracts.Auth;
using Messenger.EventBus.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Auth.Api.Domain;

/// <summary>
/// Deletes an account at its owner's request (docs/decisions/0070-account-deletion.md): every
/// session ends first, then the credentials, external logins and personal fields go and
/// <see cref="UserDeleted"/> is written to the outbox in the same transaction. The row keeps only
/// its id, username and creation time, so the name is never handed to someone else.
/// </summary>
public sealed class AccountDeletion(AuthDbContext db, SessionService sessions, TimeProvider time)
{
    public async Task DeleteAsync(Account account, CancellationToken cancellationToken)
    {
        // Revoked before anything else: if a later step fails, the owner signs in again and retries,
        // but no token of the account outlives the request.
        var sessionIds = await db.Sessions.Where(s => s.AccountId == account.Id).Select(s => s.Id).ToListAsync(cancellationToken);
        await sessions.RevokeAsync(sessionIds, "account_deleted", cancellationToken);

        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Sessions carry the devices' addresses and user agents; their refresh tokens go with them.
        await db.Sessions.Where(s => s.AccountId == account.Id).ExecuteDeleteAsync(cancellationToken);
        await db.ExternalLogins.Where(l => l.AccountId == account.Id).ExecuteDeleteAsync(cancellationToken);
        account.PasswordHash = null;
        account.Email = null;
        account.EmailVerified = false;
        account.DisplayName = null;
        db.AddOutboxEvent(new UserDeleted(account.Id, now), now);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}

public sealed class AccountDeletionOptions
{
    public const string SectionName = "AccountDeletion";

    /// <summary>An account without a password may be deleted from a session that signed in this recently.</summary>
    public TimeSpan RecentLogin { get; set; } = TimeSpan.FromMinutes(10);
}
