using Messenger.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Notification.Api.Data;

namespace Notification.Api.Api;

/// <summary>The user's notification settings: which conversations are muted.</summary>
public static class SettingsApi
{
    public const int MaxMutedConversations = 1_000;

    public static IEndpointRouteBuilder MapSettingsApi(this IEndpointRouteBuilder app)
    {
        var settings = app.MapGroup("/notifications/settings").WithTags("Notification settings");
        settings.MapGet("", Get).WithSummary("The user's notification settings.");
        settings.MapPut("", Put).WithSummary("Replaces the user's notification settings; muted conversations produce no notifications.");
        return app;
    }

    public sealed record SettingsRequest(IReadOnlyList<Guid>? MutedConversationIds);

    public sealed record SettingsView(IReadOnlyList<Guid> MutedConversationIds);

    internal static async Task<Ok<SettingsView>> Get(NotificationDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var userId = http.User.GetUserId();
        return TypedResults.Ok(new SettingsView(await MutedAsync(db, userId, cancellationToken)));
    }

    internal static async Task<Results<Ok<SettingsView>, ValidationProblem>> Put(
        SettingsRequest request, NotificationDbContext db, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        var error = request.MutedConversationIds switch
        {
            null => "The list of muted conversation ids is required (send [] to mute none).",
            { Count: > MaxMutedConversations } => $"At most {MaxMutedConversations} conversations can be muted.",
            var ids when ids.Contains(Guid.Empty) => "A conversation id cannot be empty.",
            _ => null,
        };
        if (error is not null)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["mutedConversationIds"] = [error] }, title: "The settings are not valid.");
        }

        var userId = http.User.GetUserId();
        var wanted = request.MutedConversationIds!.ToHashSet();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.MutedConversations.Where(m => m.UserId == userId && !wanted.Contains(m.ConversationId)).ExecuteDeleteAsync(cancellationToken);
        var kept = await db.MutedConversations.Where(m => m.UserId == userId).Select(m => m.ConversationId).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        db.MutedConversations.AddRange(wanted.Except(kept).Select(id => new MutedConversation { UserId = userId, ConversationId = id, MutedAt = now }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(new SettingsView(await MutedAsync(db, userId, cancellationToken)));
    }

    private static async Task<IReadOnlyList<Guid>> MutedAsync(NotificationDbContext db, Guid userId, CancellationToken cancellationToken) =>
        await db.MutedConversations.AsNoTracking().Where(m => m.UserId == userId).OrderBy(m => m.ConversationId).Select(m => m.ConversationId).ToListAsync(cancellationToken);
}
