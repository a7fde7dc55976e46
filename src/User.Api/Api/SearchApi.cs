using System.Security.Claims;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Paging;
using Microsoft.AspNetCore.Http.HttpResults;
using User.Api.Data;
using User.Api.Domain;
using static User.Api.Api.ProfilesApi;

namespace User.Api.Api;

/// <summary>Finding people by username or display name.</summary>
public static class SearchApi
{
    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/user/search", Search).WithTags("Search")
            .WithSummary("Finds users by username or display name (prefix and fuzzy), best matches first. " +
                "Leaves out the caller, users who blocked the caller and users whose privacy settings hide them.");
        return app;
    }

    internal static async Task<Results<Ok<Page<ProfileView>>, ValidationProblem>> Search(
        string? q, int? limit, string? cursor, ProfileSearch search, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var query = q is null ? "" : ProfileRules.NormalizeQuery(q);
        var errors = new Dictionary<string, string[]>();
        if (query.Length == 0)
        {
            errors["q"] = ["A search text is required: part of a username or display name."];
        }
        else if (ProfileRules.Length(query) > ProfileRules.SearchQueryMaxLength)
        {
            errors["q"] = [$"A search text has at most {ProfileRules.SearchQueryMaxLength} characters."];
        }
        else if (query.Contains('\0', StringComparison.Ordinal))
        {
            // PostgreSQL's text cannot hold U+0000, so no username or display name contains it.
            errors["q"] = ["A search text may not contain the NUL character (U+0000)."];
        }

        if (!Paging.TryRead<SearchPosition>(limit, cursor, out var page, out var pagingErrors))
        {
            foreach (var (field, messages) in pagingErrors)
            {
                errors[field] = messages;
            }
        }
        else if (page.After is { } after && !ProfileSearch.IsValid(after))
        {
            errors["cursor"] = ["The cursor is not one this search returned."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The search is not valid.");
        }

        var hits = await search.FindAsync(user.GetUserId(), query, page!, cancellationToken);
        return TypedResults.Ok(Paging.ToPage(
            hits,
            page!.Limit,
            h => new ProfileView(h.UserId, h.Username, h.DisplayName, h.Bio, h.AvatarUrl, h.CreatedAt),
            h => h.Position));
    }
}
