using System.Security.Claims;
using System.Text.Json.Serialization;
using Messenger.Contracts.Users;
using Messenger.EventBus.Outbox;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using User.Api.Data;
using User.Api.Domain;

namespace User.Api.Api;

/// <summary>Read and edit profiles (the seed's <c>GET</c> and <c>PUT /user/{username}</c>).</summary>
public static class ProfilesApi
{
    public static IEndpointRouteBuilder MapProfilesApi(this IEndpointRouteBuilder app)
    {
        var user = app.MapGroup("/user").WithTags("Profiles");
        user.MapGet("/{username}", Get)
            .WithSummary("A user's profile: public fields for others, everything (privacy settings too) for its owner.");
        user.MapPut("/{username}", Update)
            .WithSummary("Changes the caller's own profile; fields left out stay as they are, \"\" clears bio and avatarUrl.");
        return app;
    }

    /// <summary>Profile = {userId, username, displayName, bio, avatarUrl, createdAt} (DESIGN §3a); the owner also sees privacy and updatedAt.</summary>
    public sealed record ProfileView(
        Guid UserId,
        string Username,
        string DisplayName,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Bio,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? AvatarUrl,
        DateTimeOffset CreatedAt,
        PrivacySettings? Privacy = null,
        DateTimeOffset? UpdatedAt = null)
    {
        public static ProfileView Public(Profile p) => new(p.UserId, p.Username, p.DisplayName, p.Bio, p.AvatarUrl, p.CreatedAt);

        public static ProfileView Own(Profile p) => Public(p) with { Privacy = p.Privacy, UpdatedAt = p.UpdatedAt };
    }

    public sealed record UpdateProfileRequest(string? DisplayName, string? Bio, string? AvatarUrl, PrivacyUpdate? Privacy);

    public sealed record PrivacyUpdate(Audience? SearchableBy, Audience? FriendRequestsFrom, Audience? FriendListVisibleTo);

    internal static async Task<Results<Ok<ProfileView>, ProblemHttpResult>> Get(
        string username, UsersDbContext db, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var name = ProfileRules.NormalizeUsername(username);
        var profile = await db.Profiles.AsNoTracking().FirstOrDefaultAsync(p => p.Username == name, cancellationToken);
        if (profile is null)
        {
            return UserProblems.UserNotFound(name);
        }

        return TypedResults.Ok(profile.UserId == user.GetUserId() ? ProfileView.Own(profile) : ProfileView.Public(profile));
    }

    internal static async Task<Results<Ok<ProfileView>, ValidationProblem, ProblemHttpResult>> Update(
        string username,
        UpdateProfileRequest request,
        UsersDbContext db,
        ClaimsPrincipal user,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var name = ProfileRules.NormalizeUsername(username);
        if (name != user.GetUsername())
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Not your profile",
                detail: "Only the owner of a profile can change it.");
        }

        var errors = new Dictionary<string, string[]>();
        ProfileRules.AddError(errors, "displayName", ProfileRules.CheckDisplayName(request.DisplayName));
        ProfileRules.AddError(errors, "bio", ProfileRules.CheckBio(request.Bio));
        ProfileRules.AddError(errors, "avatarUrl", ProfileRules.CheckAvatarUrl(request.AvatarUrl));
        ProfileRules.AddError(errors, "privacy.searchableBy", ProfileRules.CheckAudience(request.Privacy?.SearchableBy, friendsAllowed: true));
        ProfileRules.AddError(errors, "privacy.friendRequestsFrom", ProfileRules.CheckAudience(request.Privacy?.FriendRequestsFrom, friendsAllowed: false));
        ProfileRules.AddError(errors, "privacy.friendListVisibleTo", ProfileRules.CheckAudience(request.Privacy?.FriendListVisibleTo, friendsAllowed: true));
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The profile is not valid.");
        }

        var userId = user.GetUserId();
        var profile = await db.Profiles.FirstOrDefaultAsync(p => p.UserId == userId, cancellationToken);
        if (profile is null)
        {
            // The account exists (the token says so) but its registration event has not arrived yet.
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Profile not ready",
                detail: "The profile of this new account is still being created. Try again in a moment.");
        }

        var publicBefore = ProfileView.Public(profile);
        if (request.DisplayName is not null)
        {
            profile.DisplayName = request.DisplayName.Trim();
        }

        if (request.Bio is not null)
        {
            profile.Bio = ProfileRules.Optional(request.Bio);
        }

        if (request.AvatarUrl is not null)
        {
            profile.AvatarUrl = ProfileRules.Optional(request.AvatarUrl);
        }

        profile.SearchableBy = request.Privacy?.SearchableBy ?? profile.SearchableBy;
        profile.FriendRequestsFrom = request.Privacy?.FriendRequestsFrom ?? profile.FriendRequestsFrom;
        profile.FriendListVisibleTo = request.Privacy?.FriendListVisibleTo ?? profile.FriendListVisibleTo;

        if (db.ChangeTracker.HasChanges())
        {
            var now = time.GetUtcNowInMicroseconds();
            profile.UpdatedAt = now;
            if (ProfileView.Public(profile) != publicBefore)
            {
                db.AddOutboxEvent(new UserProfileUpdated(profile.UserId, profile.Username, profile.DisplayName, profile.Bio, profile.AvatarUrl, now), now);
            }

            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Ok(ProfileView.Own(profile));
    }
}
