using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Paging;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Notification.Api.Data;
using Notification.Api.Delivery;
using Notification.Api.Domain;

namespace Notification.Api.Api;

/// <summary>The user's notifications: the list, read state and the unread count.</summary>
public static class NotificationsApi
{
    public static IEndpointRouteBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var notifications = app.MapGroup("/notifications").WithTags("Notifications");
        notifications.MapGet("", List).WithSummary("Lists the user's notifications, most recently changed first.");
        notifications.MapGet("/unread-count", UnreadCount).WithSummary("How many of the user's notifications are unread.");
        notifications.MapPost("/{id:guid}/read", MarkRead).WithSummary("Marks one notification read on all the user's devices.");
        notifications.MapPost("/read-all", MarkAllRead).WithSummary("Marks every notification of the user read.");
        return app;
    }

    public sealed record ListPosition(DateTimeOffset UpdatedAt, Guid Id);

    public sealed record UnreadCountView(int Count);

    public sealed record ReadAllView(int Read);

    internal static async Task<Results<Ok<Page<NotificationView>>, ValidationProblem>> List(
        bool? unreadOnly, int? limit, string? cursor, NotificationDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        if (!Paging.TryRead<ListPosition>(limit, cursor, out var page, out var errors))
        {
            return TypedResults.ValidationProblem(errors, title: "The list request is not valid.");
        }

        var userId = http.User.GetUserId();
        var query = db.Notifications.AsNoTracking().Where(n => n.UserId == userId && n.WithdrawnAt == null);
        if (unreadOnly == true)
        {
            query = query.Where(n => n.ReadAt == null);
        }

        if (page.After is { } after)
        {
            query = query.Where(n => EF.Functions.LessThan(ValueTuple.Create(n.UpdatedAt, n.Id), ValueTuple.Create(after.UpdatedAt, after.Id)));
        }

        var rows = await query.OrderByDescending(n => n.UpdatedAt).ThenByDescending(n => n.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(Paging.ToPage(rows, page.Limit, NotificationView.From, n => new ListPosition(n.UpdatedAt, n.Id)));
    }

    internal static async Task<Ok<UnreadCountView>> UnreadCount(NotificationDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var userId = http.User.GetUserId();
        var count = await db.Notifications.CountAsync(n => n.UserId == userId && n.ReadAt == null && n.WithdrawnAt == null, cancellationToken);
        return TypedResults.Ok(new UnreadCountView(count));
    }

    internal static async Task<Results<Ok<NotificationView>, ProblemHttpResult>> MarkRead(
        Guid id, NotificationDbContext db, NotificationWriter writer, ChangePublisher publisher, HttpContext http, CancellationToken cancellationToken)
    {
        (NotificationRow Row, NotificationChange? Change)? marked;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            marked = await writer.MarkReadAsync(http.User.GetUserId(), id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        if (marked is not { } result)
        {
            // Another user's notification is reported as missing, so ids cannot be probed.
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Notification not found",
                detail: "You have no notification with this id.");
        }

        if (result.Change is { } change)
        {
            await publisher.PublishAsync([change]);
        }

        return TypedResults.Ok(NotificationView.From(result.Row));
    }

    internal static async Task<Ok<ReadAllView>> MarkAllRead(
        NotificationDbContext db, NotificationWriter writer, ChangePublisher publisher, HttpContext http, CancellationToken cancellationToken)
    {
        IReadOnlyList<NotificationChange> changes;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            changes = await writer.MarkAllReadAsync(http.User.GetUserId(), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await publisher.PublishAsync(changes);
        return TypedResults.Ok(new ReadAllView(changes.Count));
    }
}
