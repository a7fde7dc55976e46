using System.Security.Claims;

namespace Messenger.ServiceDefaults.Authentication;

/// <summary>The claims of a messenger access token (DESIGN §2). Inbound claim mapping is off.</summary>
public static class MessengerClaims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string SessionId = "sid";
    public const string TokenId = "jti";

    public static Guid GetUserId(this ClaimsPrincipal principal) => ReadGuid(principal, Subject);

    public static Guid GetSessionId(this ClaimsPrincipal principal) => ReadGuid(principal, SessionId);

    public static string GetUsername(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(Name) ?? throw new InvalidOperationException("The principal has no name claim.");

    private static Guid ReadGuid(ClaimsPrincipal principal, string type) =>
        Guid.TryParse(principal.FindFirstValue(type), out var value)
            ? value
            : throw new InvalidOperationException($"The principal has no valid '{type}' claim; is the endpoint authorized?");
}
