using Auth.Api.Data;
using Auth.Api.Domain;
using Microsoft.EntityFrameworkCore;

namespace Auth.Api.OAuth;

/// <summary>
/// Finds the account of an external identity: by its existing link, else by a verified e-mail
/// that matches an account (and links it), else creates a new account.
/// </summary>
public sealed class ExternalAccounts(AuthDbContext db, AccountFactory accounts, TimeProvider time)
{
    public async Task<Account> FindOrCreateAsync(ExternalIdentity identity, CancellationToken cancellationToken)
    {
        var link = await db.ExternalLogins.Include(l => l.Account)
            .FirstOrDefaultAsync(l => l.Provider == identity.Provider && l.Subject == identity.Subject, cancellationToken);
        if (link is not null)
        {
            return link.Account;
        }

        // Only an address the provider verified may take over an existing account.
        var verifiedEmail = identity.EmailVerified && AccountRules.CheckEmail(identity.Email) is null
            ? AccountRules.NormalizeEmail(identity.Email!)
            : null;
        var account = verifiedEmail is null
            ? null
            : await db.Accounts.FirstOrDefaultAsync(a => a.Email == verifiedEmail, cancellationToken);

        if (account is null)
        {
            var username = await FreeUsernameAsync(identity.PreferredUsername ?? identity.Email ?? identity.Name, cancellationToken);
            account = accounts.Create(username, verifiedEmail, verifiedEmail is not null, DisplayNameOf(identity));
        }

        db.ExternalLogins.Add(new ExternalLogin
        {
            Provider = identity.Provider,
            Subject = identity.Subject,
            AccountId = account.Id,
            Email = identity.Email,
            CreatedAt = time.GetUtcNow(),
        });
        return account;
    }

    private async Task<string> FreeUsernameAsync(string? preferred, CancellationToken cancellationToken)
    {
        var stem = AccountRules.UsernameStemFrom(preferred);
        var candidates = new List<string> { stem };
        candidates.AddRange(Enumerable.Range(0, 8).Select(_ => stem + Random.Shared.Next(1000, 10000)));
        var taken = await db.Accounts.Where(a => candidates.Contains(a.Username)).Select(a => a.Username).ToListAsync(cancellationToken);
        return candidates.FirstOrDefault(c => !taken.Contains(c))
            ?? throw new InvalidOperationException($"No free username near '{stem}'.");
    }

    private static string? DisplayNameOf(ExternalIdentity identity)
    {
        var name = identity.Name?.Trim();
        return AccountRules.CheckDisplayName(name) is null ? name : null;
    }
}
