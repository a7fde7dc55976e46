using Auth.Api.Data;
using Auth.Api.Domain;
using Auth.Api.Login;
using Auth.Api.Sessions;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Auth.Api.Api;

/// <summary>Register, log in, refresh and log out (the seed's routes, kept exactly).</summary>
public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/register", Register).AllowAnonymous().WithTags("Accounts")
            .WithSummary("Creates an account and signs it in.");
        app.MapPost("/login", Login).AllowAnonymous().WithTags("Accounts")
            .WithSummary("Signs in with a username or e-mail and a password.");
        app.MapPost("/token/refresh", Refresh).AllowAnonymous().WithTags("Accounts")
            .WithSummary("Exchanges a refresh token for new tokens; the old refresh token stops working.");
        app.MapPost("/logout", Logout).WithTags("Accounts")
            .WithSummary("Ends this session, or every session of the user with allSessions.");
        return app;
    }

    public sealed record RegisterRequest(string? Username, string? Password, string? Email, string? DisplayName);

    public sealed record LoginRequest(string? Username, string? Password);

    public sealed record RefreshRequest(string? RefreshToken);

    public sealed record LogoutRequest(bool? AllSessions);

    internal static async Task<Results<Created<TokenResponse>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterRequest request,
        AuthDbContext db,
        AccountFactory accounts,
        SessionService sessions,
        RegistrationThrottle throttle,
        IPasswordHasher<Account> hasher,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        AddError(errors, "username", AccountRules.CheckUsername(request.Username));
        AddError(errors, "password", AccountRules.CheckPassword(request.Password, request.Username));
        AddError(errors, "email", AccountRules.CheckEmail(request.Email));
        AddError(errors, "displayName", AccountRules.CheckDisplayName(request.DisplayName));
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The registration is not valid.");
        }

        if (await throttle.TryCountAsync(http.Connection.RemoteIpAddress) is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many registrations",
                detail: "Too many accounts were registered from this address. Try again after the time in Retry-After.");
        }

        var username = AccountRules.NormalizeUsername(request.Username!);
        var email = request.Email is null ? null : AccountRules.NormalizeEmail(request.Email);
        if (await db.Accounts.AnyAsync(a => a.Username == username, cancellationToken))
        {
            return UsernameTaken(username);
        }

        if (email is not null && await db.Accounts.AnyAsync(a => a.Email == email, cancellationToken))
        {
            return EmailTaken();
        }

        var account = accounts.Create(username, email, emailVerified: false, request.DisplayName?.Trim());
        account.PasswordHash = hasher.HashPassword(account, request.Password!);
        var session = sessions.Begin(account, http);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            // Someone registered the same name or address between the check and the insert.
            return ex.IsUniqueViolation("ix_accounts_email") ? EmailTaken() : UsernameTaken(username);
        }

        return TypedResults.Created($"/user/{account.Username}", session.Issue());
    }

    internal static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Login(
        LoginRequest request,
        AuthDbContext db,
        SessionService sessions,
        LoginThrottle throttle,
        IPasswordHasher<Account> hasher,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        AddError(errors, "username", string.IsNullOrWhiteSpace(request.Username) ? "A username or e-mail is required." : null);
        AddError(errors, "password", string.IsNullOrEmpty(request.Password) ? "A password is required." : null);
        AddError(errors, "password", request.Password?.Length > AccountRules.PasswordMaxLength ? "The password is too long." : null);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The login is not valid.");
        }

        var identifier = AccountRules.NormalizeUsername(request.Username!);
        // PostgreSQL refuses U+0000 in a query parameter; no account has one in its name or address.
        var account = identifier.Contains('\0', StringComparison.Ordinal) ? null
            : identifier.Contains('@', StringComparison.Ordinal)
            ? await db.Accounts.FirstOrDefaultAsync(a => a.Email == identifier, cancellationToken)
            : await db.Accounts.FirstOrDefaultAsync(a => a.Username == identifier, cancellationToken);

        var throttleKey = account?.Id.ToString() ?? identifier;
        var clientAddress = http.Connection.RemoteIpAddress?.ToString();
        if (await throttle.GetLockoutAsync(throttleKey, clientAddress) is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString();
            return TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many failed logins",
                detail: "Logins are paused for this account or address. Try again after the time in Retry-After.");
        }

        if (!VerifyPassword(hasher, account, request.Password!, out var needsRehash))
        {
            await throttle.RecordFailureAsync(throttleKey, clientAddress);
            return InvalidCredentials();
        }

        await throttle.RecordSuccessAsync(throttleKey);
        if (needsRehash)
        {
            account!.PasswordHash = hasher.HashPassword(account, request.Password!);
        }

        var session = sessions.Begin(account!, http);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(session.Issue());
    }

    internal static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Refresh(
        RefreshRequest request, SessionService sessions, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.RefreshToken) || request.RefreshToken.Length > 128)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["refreshToken"] = ["A refresh token is required."] },
                title: "The refresh is not valid.");
        }

        var outcome = await sessions.RefreshAsync(request.RefreshToken, cancellationToken);
        if (outcome.Tokens is { } tokens)
        {
            return TypedResults.Ok(tokens);
        }

        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Invalid refresh token",
            detail: outcome.WasReused
                ? "This refresh token was already used, so the session was ended for safety. Log in again."
                : "The refresh token is unknown, expired or its session has ended. Log in again.");
    }

    internal static async Task<NoContent> Logout(
        LogoutRequest? request, AuthDbContext db, SessionService sessions, HttpContext http, CancellationToken cancellationToken)
    {
        var user = http.User;
        IReadOnlyCollection<Guid> ended = request?.AllSessions == true
            ? await db.Sessions.Where(s => s.AccountId == user.GetUserId() && s.RevokedAt == null).Select(s => s.Id).ToListAsync(cancellationToken)
            : [user.GetSessionId()];
        await sessions.RevokeAsync(ended, "logout", cancellationToken);
        return TypedResults.NoContent();
    }

    // Unknown accounts are checked against a dummy hash so both failures take the same time.
    private static readonly Account TimingDecoy = new() { Username = "decoy" };
    private static readonly string DecoyHash = new PasswordHasher<Account>().HashPassword(TimingDecoy, Guid.NewGuid().ToString());

    internal static bool VerifyPassword(IPasswordHasher<Account> hasher, Account? account, string password, out bool needsRehash)
    {
        needsRehash = false;
        if (account?.PasswordHash is null)
        {
            hasher.VerifyHashedPassword(TimingDecoy, DecoyHash, password);
            return false;
        }

        var result = hasher.VerifyHashedPassword(account, account.PasswordHash, password);
        needsRehash = result == PasswordVerificationResult.SuccessRehashNeeded;
        return result != PasswordVerificationResult.Failed;
    }

    private static ProblemHttpResult InvalidCredentials() => TypedResults.Problem(
        statusCode: StatusCodes.Status401Unauthorized,
        title: "Invalid credentials",
        detail: "The username or password is wrong.");

    private static ProblemHttpResult UsernameTaken(string username) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Username taken",
        detail: $"The username '{username}' is already taken.");

    private static ProblemHttpResult EmailTaken() => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "E-mail in use",
        detail: "Another account already uses this e-mail address.");

    internal static void AddError(Dictionary<string, string[]> errors, string field, string? error)
    {
        if (error is not null)
        {
            errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, error] : [error];
        }
    }
}
