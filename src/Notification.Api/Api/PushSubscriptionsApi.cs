using System.Net;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Notification.Api.Data;
using Notification.Api.Push;

namespace Notification.Api.Api;

/// <summary>Web Push: the server's VAPID public key and the user's browser subscriptions (the standard <c>PushSubscription</c> JSON).</summary>
public static class PushSubscriptionsApi
{
    public const int MaxEndpointLength = 2048;

    public static IEndpointRouteBuilder MapPushSubscriptionsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/notifications/vapid-public-key", VapidPublicKey).AllowAnonymous().WithTags("Web Push")
            .WithSummary("The applicationServerKey browsers subscribe with (base64url, uncompressed P-256).");
        var subscriptions = app.MapGroup("/notifications/push-subscriptions").WithTags("Web Push");
        subscriptions.MapPost("", Subscribe).WithSummary("Registers a browser's push subscription for the user (again: updates its keys).");
        subscriptions.MapGet("", List).WithSummary("Lists the user's push subscriptions.");
        subscriptions.MapDelete("/{id:guid}", Unsubscribe).WithSummary("Removes one of the user's push subscriptions.");
        return app;
    }

    public sealed record SubscriptionKeys(string? P256dh, string? Auth);

    /// <summary>What <c>PushSubscription.toJSON()</c> gives in a browser.</summary>
    public sealed record SubscribeRequest(string? Endpoint, long? ExpirationTime, SubscriptionKeys? Keys);

    public sealed record SubscriptionView(Guid Id, string Endpoint, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? LastDeliveredAt);

    public sealed record SubscriptionList(IReadOnlyList<SubscriptionView> Items);

    public sealed record VapidKeyView(string PublicKey);

    internal static Ok<VapidKeyView> VapidPublicKey(VapidKeys keys) => TypedResults.Ok(new VapidKeyView(keys.PublicKey));

    internal static async Task<Results<Created<SubscriptionView>, Ok<SubscriptionView>, ValidationProblem>> Subscribe(
        SubscribeRequest request, NotificationDbContext db, IHostEnvironment environment, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = Validate(request, environment);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The push subscription is not valid.");
        }

        var userId = http.User.GetUserId();
        var now = time.GetUtcNowInMicroseconds();
        var endpoint = request.Endpoint!;
        var expiresAt = request.ExpirationTime is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
        // An endpoint is one browser profile: subscribing it again (after a key change, or as another
        // user signing in on that browser) takes it over rather than duplicating it.
        var id = (await db.Database.SqlQuery<Guid>($"""
            INSERT INTO push_subscriptions AS s (id, user_id, endpoint, p256dh, auth, expires_at, created_at)
            VALUES ({Guid.CreateVersion7(now)}, {userId}, {endpoint}, {request.Keys!.P256dh!.TrimEnd('=')}, {request.Keys.Auth!.TrimEnd('=')}, {expiresAt}, {now})
            ON CONFLICT (endpoint) DO UPDATE SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, expires_at = EXCLUDED.expires_at
            RETURNING id AS "Value"
            """).ToListAsync(cancellationToken)).Single();
        var stored = await db.PushSubscriptions.AsNoTracking().SingleAsync(s => s.Id == id, cancellationToken);
        var view = new SubscriptionView(stored.Id, stored.Endpoint, stored.CreatedAt, stored.ExpiresAt, stored.LastDeliveredAt);
        return stored.CreatedAt == now
            ? TypedResults.Created($"/notifications/push-subscriptions/{stored.Id}", view)
            : TypedResults.Ok(view);
    }

    internal static async Task<Ok<SubscriptionList>> List(NotificationDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var userId = http.User.GetUserId();
        var items = await db.PushSubscriptions.AsNoTracking()
            .Where(s => s.UserId == userId)
            .OrderBy(s => s.CreatedAt)
            .Select(s => new SubscriptionView(s.Id, s.Endpoint, s.CreatedAt, s.ExpiresAt, s.LastDeliveredAt))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new SubscriptionList(items));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Unsubscribe(
        Guid id, NotificationDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var userId = http.User.GetUserId();
        var removed = await db.PushSubscriptions.Where(s => s.Id == id && s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        return removed == 1
            ? TypedResults.NoContent()
            : TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Push subscription not found",
                detail: "You have no push subscription with this id.");
    }

    private static Dictionary<string, string[]> Validate(SubscribeRequest request, IHostEnvironment environment)
    {
        var errors = new Dictionary<string, string[]>();
        if (CheckEndpoint(request.Endpoint, environment) is { } endpointError)
        {
            errors["endpoint"] = [endpointError];
        }

        if (!PushKeys.TryReadPoint(request.Keys?.P256dh, out _))
        {
            errors["keys.p256dh"] = ["The p256dh key must be the browser's public key: a base64url uncompressed P-256 point (65 bytes)."];
        }

        if (!PushKeys.TryDecode(request.Keys?.Auth, 16, out _))
        {
            errors["keys.auth"] = ["The auth secret must be 16 bytes, base64url."];
        }

        if (request.ExpirationTime is < 0 or > 253402300799999)
        {
            errors["expirationTime"] = ["The expiration time must be Unix milliseconds."];
        }

        return errors;
    }

    private static string? CheckEndpoint(string? endpoint, IHostEnvironment environment)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return "The endpoint is required.";
        }

        if (endpoint.Length > MaxEndpointLength || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return $"The endpoint must be an absolute URL of at most {MaxEndpointLength} characters.";
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            // Host names are checked when a push connects (PushNetworkGuard); an address can be refused now.
            return IPAddress.TryParse(uri.DnsSafeHost, out var literal) && !PushNetworkGuard.IsPublic(literal) && !environment.IsDevelopment()
                ? "The endpoint must be on the public internet."
                : null;
        }

        // Plain HTTP only reaches a push service running on this machine, and only while developing.
        var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address));
        return uri.Scheme == Uri.UriSchemeHttp && loopback && environment.IsDevelopment()
            ? null
            : "The endpoint must be an https URL (plain http is accepted only for a loopback push service in Development).";
    }
}
