using System.Diagnostics;
using System.Globalization;
using System.Text;
using Messenger.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Notification.Api.Data;
using Notification.Api.Delivery;
using Notification.Api.Domain;
using Notification.Api.Extensions;

namespace Notification.Api.Api;

/// <summary>
/// <c>GET /notifications/stream</c>: Server-Sent Events with every change of the user's notifications,
/// on every device, whichever instance the device is connected to. Each event is named
/// <c>notification</c>, carries one notification as JSON and has the user's change number as its id,
/// so a client that reconnects with <c>Last-Event-ID</c> gets what changed meanwhile. A comment line
/// is sent every heartbeat interval. The stream ends when the session is revoked or the access token expires.
/// </summary>
public static class NotificationStreamApi
{
    public const string EventName = "notification";

    /// <summary>Sent first when more changed since <c>Last-Event-ID</c> than can be replayed: reload the list.</summary>
    public const string ResyncEventName = "resync";

    public static IEndpointRouteBuilder MapNotificationStreamApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/notifications/stream", Stream).WithTags("Notifications")
            .WithSummary("Server-Sent Events of the user's notifications; resumes after Last-Event-ID. The token may come as ?access_token=.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        return app;
    }

    internal static async Task<Results<EmptyHttpResult, ValidationProblem>> Stream(
        HttpContext http,
        NotificationDbContext db,
        LiveStreams live,
        ChangePublisher publisher,
        IOptions<NotificationOptions> options,
        IHostApplicationLifetime lifetime,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        if (lastEventId.Length == 0)
        {
            lastEventId = http.Request.Query["lastEventId"].ToString();
        }

        long? resumeAfter = null;
        if (lastEventId.Length > 0)
        {
            if (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var after))
            {
                return TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { ["lastEventId"] = ["Last-Event-ID (or ?lastEventId=) must be the id of an event this stream sent."] },
                    title: "The stream request is not valid.",
                    // The client accepts only text/event-stream, so the problem-details service steps aside and the trace id is added here.
                    extensions: new Dictionary<string, object?> { ["traceId"] = Activity.Current?.Id ?? http.TraceIdentifier });
            }

            resumeAfter = after;
        }

        var userId = http.User.GetUserId();
        var settings = options.Value.Stream;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache, no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";

        var stream = await live.OpenAsync(userId, http.User.GetSessionId(), cancellationToken);
        try
        {
            using var ends = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stream.Ended, lifetime.ApplicationStopping);
            if (TokenLifetimeLeft(http, time) is { } left)
            {
                ends.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }

            var token = ends.Token;
            var body = http.Response.Body;
            await WriteAsync(body, $"retry: 3000\n: connected\n\n", token);
            var lastSent = resumeAfter ?? 0;
            var newest = await db.UserStreams.AsNoTracking().Where(u => u.UserId == userId).Select(u => (long?)u.LastSeq).SingleOrDefaultAsync(token) ?? 0;
            if (resumeAfter > newest)
            {
                // An id this user's stream never reached (another deployment's, or a restored database): start afresh.
                await WriteAsync(body, $"event: {ResyncEventName}\ndata: {{}}\n\n", token);
                lastSent = 0;
            }
            else if (resumeAfter is { } after)
            {
                // Changes since then; live changes arriving meanwhile queue up and are skipped below if replayed.
                var changed = await db.Notifications.AsNoTracking()
                    .Where(n => n.UserId == userId && n.StreamSeq > after)
                    .OrderByDescending(n => n.StreamSeq)
                    .Take(settings.ReplayLimit + 1)
                    .ToListAsync(token);
                if (changed.Count > settings.ReplayLimit)
                {
                    await WriteAsync(body, $"event: {ResyncEventName}\ndata: {{}}\n\n", token);
                    changed.RemoveAt(changed.Count - 1);
                }

                foreach (var row in Enumerable.Reverse(changed))
                {
                    await WriteEventAsync(body, row.StreamSeq, publisher.Serialize(NotificationView.From(row)), token);
                    lastSent = row.StreamSeq;
                }
            }

            await foreach (var item in stream.Items.ReadAllAsync(token))
            {
                if (item.IsHeartbeat)
                {
                    await WriteAsync(body, ": heartbeat\n\n", token);
                }
                else if (item.Seq > lastSent)
                {
                    await WriteEventAsync(body, item.Seq, item.Json!, token);
                    lastSent = item.Seq;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client left, the session was revoked, the token expired or the service is stopping.
        }
        finally
        {
            await live.CloseAsync(stream);
        }

        return TypedResults.Empty;
    }

    private static Task WriteEventAsync(Stream body, long seq, string json, CancellationToken cancellationToken) =>
        WriteAsync(body, $"id: {seq.ToString(CultureInfo.InvariantCulture)}\nevent: {EventName}\ndata: {json}\n\n", cancellationToken);

    private static async Task WriteAsync(Stream body, string text, CancellationToken cancellationToken)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await body.FlushAsync(cancellationToken);
    }

    /// <summary>How long the access token stays valid: the stream ends then, and the client reconnects with a fresh one.</summary>
    private static TimeSpan? TokenLifetimeLeft(HttpContext http, TimeProvider time) =>
        long.TryParse(http.User.FindFirst("exp")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            ? DateTimeOffset.FromUnixTimeSeconds(expires) - time.GetUtcNow()
            : null;
}
