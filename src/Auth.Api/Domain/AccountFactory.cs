using Auth.Api.Data;
using Messenger.Contracts.Auth;
using Messenger.EventBus;
using Messenger.EventBus.Outbox;

namespace Auth.Api.Domain;

/// <summary>Creates accounts and announces them (<see cref="UserRegistered"/>) in the same unit of work.</summary>
public sealed class AccountFactory(AuthDbContext db, TimeProvider time)
{
    public Account Create(string username, string? email, bool emailVerified, string? displayName)
    {
        var now = time.GetUtcNow();
        var account = new Account
        {
            Id = Guid.CreateVersion7(now),
            Username = username,
            Email = email,
            EmailVerified = emailVerified,
            DisplayName = displayName,
            CreatedAt = now,
        };
        db.Accounts.Add(account);
        db.AddOutboxEvent(new UserRegistered(account.Id, account.Username, account.DisplayName ?? account.Username, account.Email, now), now);
        return account;
    }
}
