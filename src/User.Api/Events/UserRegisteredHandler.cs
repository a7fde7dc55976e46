using Messenger.Contracts.Auth;
using Messenger.Contracts.Users;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Microsoft.EntityFrameworkCore;
using User.Api.Data;
using User.Api.Domain;

namespace User.Api.Events;

/// <summary>
/// Creates the profile of a new account. Idempotent twice over: the event id is remembered, and a
/// profile that exists is never overwritten, so replaying the topic leaves edited profiles alone.
/// </summary>
public sealed class UserRegisteredHandler(UsersDbContext db) : IEventHandler<UserRegistered>
{
    public Task HandleAsync(EventContext<UserRegistered> context, CancellationToken cancellationToken)
    {
        var registered = context.Event;
        var username = ProfileRules.NormalizeUsername(registered.Username);
        var displayName = ProfileRules.Truncate(ProfileRules.Optional(registered.DisplayName ?? "") ?? username, ProfileRules.DisplayNameMaxLength);
        var privacy = PrivacySettings.Default;
        return db.ApplyOnceAsync(context.EventId, context.ConsumerGroup, ct => db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO profiles (user_id, username, display_name, search_name, created_at, updated_at,
                                  searchable_by, friend_requests_from, friend_list_visible_to)
            VALUES ({registered.UserId}, {username}, {displayName}, {ProfileRules.SearchKey(displayName)},
                    {registered.RegisteredAt}, {registered.RegisteredAt}, {privacy.SearchableBy.ToString()},
                    {privacy.FriendRequestsFrom.ToString()}, {privacy.FriendListVisibleTo.ToString()})
            ON CONFLICT DO NOTHING
            """,
            ct), cancellationToken);
    }
}
