using Auth.Api.Data;
using Auth.Api.Domain;
using Auth.Api.Login;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Auth.Api.Api;

/// <summary>The signed-in user's own account: delete it (docs/decisions/0070-account-deletion.md).</summary>
public static class AccountApi
{
    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        app.MapDelete("/account", Delete).WithTags("Accounts")
            .WithSummary("Deletes the caller's account after checking the password again (or a sign-in within the last minutes for accounts without one).");
        return app;
    }

    public sealed record DeleteAccountRequest(string? Password);

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Delete(
        [FromBody] DeleteAccountRequest? request,
        AuthDbContext db,
        AccountDeletion deletion,
        LoginThrottle throttle,
        IPasswordHasher<Account> hasher,
        IOptions<AccountDeletionOptions> options,
        TimeProvider time,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var userId = http.User.GetUserId();
        var account = await db.Accounts.FirstOrDefaultAsync(a => a.Id == userId, cancellationToken);
        if (account is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Account not found", detail: "This account no longer exists.");
        }

        if (account.PasswordHash is not null)
        {
            if (string.IsNullOrEmpty(request?.Password) || request.Password.Length > AccountRules.PasswordMaxLength)
            {
                return TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { ["password"] = ["Confirm the deletion with your password."] },
                    title: "The deletion is not confirmed.");
            }

            // Wrong passwords here count like failed logins, so this route is no way around the login throttle.
            var throttleKey = account.Id.ToString();
            var clientAddress = http.Connection.RemoteIpAddress?.ToString();
            if (await throttle.GetLockoutAsync(throttleKey, clientAddress) is { } wait)
            {
                http.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Too many failed logins",
                    detail: "Password checks are paused for this account or address. Try again after the time in Retry-After.");
            }

            if (!AccountsApi.VerifyPassword(hasher, account, request.Password, out _))
            {
                await throttle.RecordFailureAsync(throttleKey, clientAddress);
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Wrong password", detail: "The password is wrong; the account was not deleted.");
            }
        }
        else
        {
            var sessionId = http.User.GetSessionId();
            var signedInAt = await db.Sessions.Where(s => s.Id == sessionId).Select(s => (DateTimeOffset?)s.CreatedAt).FirstOrDefaultAsync(cancellationToken);
            if (signedInAt is null || time.GetUtcNow() - signedInAt > options.Value.RecentLogin)
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status403Forbidden,
                    title: "Sign in again",
                    detail: $"An account without a password is deleted from a session that signed in within the last {options.Value.RecentLogin.TotalMinutes:0} minutes.");
            }
        }

        await deletion.DeleteAsync(account, cancellationToken);
        return TypedResults.NoContent();
    }
}
