using Messenger.Contracts.Users;
using Messenger.ServiceDefaults.Paging;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace User.Api.Data;

/// <summary>A profile found by search, with its rank.</summary>
public sealed class SearchHit
{
    public Guid UserId { get; set; }

    public string Username { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string? Bio { get; set; }

    public string? AvatarUrl { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public double Score { get; set; }
}

/// <summary>Where a search page ended: the rank and id of its last hit.</summary>
public sealed record SearchPosition(double Score, Guid UserId);

/// <summary>
/// Finds profiles by username and display name: exact matches first, then prefixes (of the name or
/// of any word of the display name), then fuzzy matches, each ranked by trigram similarity. The
/// candidates come from indexes only — b-tree prefix scans (text_pattern_ops) and, for queries of
/// three or more characters, pg_trgm GIN scans — so the cost follows the matches, not the table.
/// </summary>
public sealed class ProfileSearch(UsersDbContext db)
{
    /// <summary>Below this many characters trigrams say little; only prefixes are matched.</summary>
    public const int FuzzyMinLength = 3;

    private const string Score = """
        ((CASE WHEN p.username = @q OR p.search_name = @q THEN 3
               WHEN p.username LIKE @prefix OR p.search_name LIKE @prefix OR p.search_name LIKE @word_prefix THEN 2
               ELSE 0 END)
         + GREATEST(similarity(p.username, @q), word_similarity(@q, p.search_name)))::float8
        """;

    private const string PrefixCandidates = "(p.username LIKE @prefix OR p.search_name LIKE @prefix)";

    // % is similarity over the threshold (pg_trgm.similarity_threshold, 0.3); <% is word similarity (0.6).
    private const string FuzzyCandidates = "(p.username LIKE @prefix OR p.search_name LIKE @prefix OR p.username % @q OR @q <% p.search_name)";

    // Others see a profile when its owner has not blocked them and its searchableBy admits them.
    private static readonly string Visible = $"""
        p.user_id <> @me
        AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = p.user_id AND b.blocked_id = @me)
        AND (p.searchable_by = '{Audience.Everyone}'
             OR (p.searchable_by IN ('{Audience.FriendsOfFriends}', '{Audience.Friends}')
                 AND EXISTS (SELECT 1 FROM friend_edges f WHERE f.user_id = @me AND f.friend_id = p.user_id))
             OR (p.searchable_by = '{Audience.FriendsOfFriends}'
                 AND EXISTS (SELECT 1 FROM friend_edges mine JOIN friend_edges theirs ON theirs.user_id = mine.friend_id
                             WHERE mine.user_id = @me AND theirs.friend_id = p.user_id)))
        """;

    /// <summary>Up to <c>page.Limit + 1</c> hits for <paramref name="query"/> (already normalized), best first.</summary>
    public async Task<List<SearchHit>> FindAsync(Guid searcherId, string query, PageRequest<SearchPosition> page, CancellationToken cancellationToken)
    {
        var candidates = query.Length >= FuzzyMinLength ? FuzzyCandidates : PrefixCandidates;
        var after = page.After is null ? "" : "WHERE (hit.score, hit.user_id) < (@after_score, @after_id)";
        var sql = $"""
            SELECT hit.* FROM (
                SELECT p.user_id, p.username, p.display_name, p.bio, p.avatar_url, p.created_at, {Score} AS score
                FROM profiles p
                WHERE {candidates} AND {Visible}
            ) hit
            {after}
            ORDER BY hit.score DESC, hit.user_id DESC
            LIMIT @take
            """;

        var prefix = EscapeLike(query) + "%";
        List<NpgsqlParameter> parameters =
        [
            new("q", query),
            new("prefix", prefix),
            new("word_prefix", "% " + prefix),
            new("me", searcherId),
            new("take", page.Limit + 1),
        ];
        if (page.After is { } position)
        {
            parameters.Add(new("after_score", position.Score));
            parameters.Add(new("after_id", position.UserId));
        }

        // Columns map to SearchHit by the context's snake_case naming convention.
        return await db.Database.SqlQueryRaw<SearchHit>(sql, [.. parameters]).ToListAsync(cancellationToken);
    }

    private static string EscapeLike(string value) =>
        value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
}
