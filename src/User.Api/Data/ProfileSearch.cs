using Messenger.Contracts.Users;
using Messenger.ServiceDefaults.Paging;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace User.Api.Data;

/// <summary>A profile found by search, with where it stands in the ranking.</summary>
public sealed class SearchHit
{
    public Guid UserId { get; set; }

    public string Username { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string? Bio { get; set; }

    public string? AvatarUrl { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Which tier of <see cref="ProfileSearch"/> found it.</summary>
    public int Tier { get; set; }

    /// <summary>For prefix tiers: the name that matched (lower case), their order.</summary>
    public string? MatchedName { get; set; }

    /// <summary>For the similarity tier: word similarity, its order (best first).</summary>
    public double Score { get; set; }

    public SearchPosition Position => new(Tier, MatchedName, Score, UserId);
}

/// <summary>Where a search page ended: the last hit's tier, its name (prefix tiers) or score (similarity tier), and its id.</summary>
public sealed record SearchPosition(int Tier, string? Name, double Score, Guid UserId);

/// <summary>
/// Finds profiles by username and display name, best first, in three tiers:
/// <list type="number">
/// <item>names that start with the query, in name order (an exact match first, shorter names before
/// longer ones), read in that order off two b-tree indexes, so a page costs the same however many
/// people share a name;</item>
/// <item>names that start with a shorter query — a username's trailing digits dropped, else its last
/// letter or two, for a typo at the end: "mattheg" finds the Matthews — the same way;</item>
/// <item>names in which pg_trgm word similarity finds the query (a word inside the display name, a
/// letter wrong in the middle), through the GIN trigram indexes, ranked by that similarity.</item>
/// </list>
/// A tier is only read when the ones before it cannot fill the page. Privacy and blocks are applied in
/// the same statements.
/// </summary>
public sealed class ProfileSearch(UsersDbContext db)
{
    /// <summary>Below this many characters trigrams say little; only prefixes are matched.</summary>
    public const int FuzzyMinLength = 3;

    private const int ExactPrefix = 0;
    private const int ShortenedPrefix = 1;
    private const int Similar = 2;

    private const string Columns = "p.user_id, p.username, p.display_name, p.bio, p.avatar_url, p.created_at";
    private const string Username = """p.username COLLATE "C" """;
    private const string SearchName = """p.search_name COLLATE "C" """;

    // Others see a profile when its owner has not blocked them and its searchableBy admits them.
    private static readonly string Visible = $"""
        p.user_id <> @me
        AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = p.user_id AND b.blocked_id = @me)
        AND (p.searchable_by = '{Audience.Everyone}'
             OR (p.searchable_by IN ('{Audience.FriendsOfFriends}', '{Audience.Friends}')
                 AND EXISTS (SELECT 1 FROM friend_edges f WHERE f.user_id = @me AND f.friend_id = p.user_id AND f.is_friend))
             OR (p.searchable_by = '{Audience.FriendsOfFriends}'
                 AND EXISTS (SELECT 1 FROM friend_edges mine JOIN friend_edges theirs ON theirs.user_id = mine.friend_id
                             WHERE mine.user_id = @me AND theirs.friend_id = p.user_id AND mine.is_friend AND theirs.is_friend)))
        """;

    /// <summary>Whether a position decoded from a client's cursor could have come from this search.</summary>
    public static bool IsValid(SearchPosition position) =>
        position.Tier is >= ExactPrefix and <= Similar && (position.Tier == Similar || position.Name is not null);

    /// <summary>Up to <c>page.Limit + 1</c> hits for <paramref name="query"/> (already normalized), best first.</summary>
    public async Task<List<SearchHit>> FindAsync(Guid searcherId, string query, PageRequest<SearchPosition> page, CancellationToken cancellationToken)
    {
        var wanted = page.Limit + 1;
        var hits = new List<SearchHit>(wanted);
        for (var tier = page.After?.Tier ?? ExactPrefix; tier <= Similar && hits.Count < wanted; tier++)
        {
            var after = tier == page.After?.Tier ? page.After : null;
            if (Build(tier, searcherId, query, after, wanted - hits.Count) is { } statement)
            {
                hits.AddRange(await RunAsync(statement, cancellationToken));
            }
        }

        return hits;
    }

    // Columns map to SearchHit by the context's snake_case naming convention.
    private Task<List<SearchHit>> RunAsync((string Sql, NpgsqlParameter[] Parameters) statement, CancellationToken cancellationToken) =>
        db.Database.SqlQueryRaw<SearchHit>(statement.Sql, statement.Parameters).ToListAsync(cancellationToken);

    /// <summary>The statement of one tier, or null when the tier does not apply to a query this short.</summary>
    internal static (string Sql, NpgsqlParameter[] Parameters)? Build(int tier, Guid searcherId, string query, SearchPosition? after, int take)
    {
        var shortened = Shorten(query);
        return tier switch
        {
            ExactPrefix => BuildPrefixQuery(ExactPrefix, searcherId, query, excluded: null, after, take),
            ShortenedPrefix when shortened is not null => BuildPrefixQuery(ShortenedPrefix, searcherId, shortened, excluded: query, after, take),
            Similar when query.Length >= FuzzyMinLength => BuildSimilarQuery(searcherId, query, excluded: shortened ?? query, after, take),
            _ => null,
        };
    }

    /// <summary>
    /// The prefix of the second tier: a username's trailing digits and separators dropped
    /// ("benjamin2459" → "benjamin"), else the last letter (four to six characters typed) or two
    /// (seven or more). Null for queries too short to shorten.
    /// </summary>
    private static string? Shorten(string query)
    {
        var stem = query.TrimEnd("0123456789._- ".ToCharArray());
        return stem.Length < query.Length && stem.Length >= FuzzyMinLength ? stem
            : query.Length switch
            {
                < 4 => null,
                < 7 => query[..^1],
                _ => query[..^2],
            };
    }

    /// <summary>
    /// Names starting with <paramref name="prefix"/> (but not with <paramref name="excluded"/>, an
    /// earlier tier's), in name order. A user whose username matches is listed under it; one whose
    /// display name alone matches, under that.
    /// </summary>
    private static (string Sql, NpgsqlParameter[] Parameters) BuildPrefixQuery(
        int tier, Guid searcherId, string prefix, string? excluded, SearchPosition? after, int take)
    {
        var notEarlier = excluded is null ? "" : $"AND {Username} NOT LIKE @excluded AND {SearchName} NOT LIKE @excluded";
        var (usernameAfter, searchNameAfter) = after is null
            ? ("", "")
            : ($"AND ({Username}, p.user_id) > (@after_name, @after_id)", $"AND ({SearchName}, p.user_id) > (@after_name, @after_id)");
        var sql = $"""
            SELECT * FROM (
                (SELECT {Columns}, {tier} AS tier, {Username} AS matched_name, 0::float8 AS score
                 FROM profiles p
                 WHERE {Username} LIKE @prefix {notEarlier} {usernameAfter}
                   AND {Visible}
                 ORDER BY {Username} -- usernames are unique: this is the (name, id) order, and the index's own
                 LIMIT @take)
                UNION ALL
                (SELECT {Columns}, {tier} AS tier, {SearchName} AS matched_name, 0::float8 AS score
                 FROM profiles p
                 WHERE {SearchName} LIKE @prefix AND {Username} NOT LIKE @prefix {notEarlier} {searchNameAfter}
                   AND {Visible}
                 ORDER BY {SearchName}, p.user_id
                 LIMIT @take)
            ) hit
            ORDER BY hit.matched_name COLLATE "C", hit.user_id
            LIMIT @take
            """;
        List<NpgsqlParameter> parameters = [new("prefix", LikePrefix(prefix)), new("me", searcherId), new("take", take)];
        if (excluded is not null)
        {
            parameters.Add(new("excluded", LikePrefix(excluded)));
        }

        if (after is not null)
        {
            parameters.Add(new("after_name", after.Name ?? ""));
            parameters.Add(new("after_id", after.UserId));
        }

        return (sql, [.. parameters]);
    }

    /// <summary>Names in which word similarity finds the query, except those starting with <paramref name="excluded"/>, best first.</summary>
    private static (string Sql, NpgsqlParameter[] Parameters) BuildSimilarQuery(
        Guid searcherId, string query, string excluded, SearchPosition? after, int take)
    {
        // <% is word similarity over pg_trgm.word_similarity_threshold (0.6): the query found as (or
        // close to) a stretch of words of the name, such as "smith" in "john smith". Whole-string
        // similarity (%), and a lower threshold (0.5, which finds more typos inside short words), are not used:
        // the GIN index then prunes poorly, and common short words meant rechecking tens of thousands
        // of rows (p99 470 ms instead of ~50 ms on a million profiles, `bash scripts/bench.sh search`).
        var sql = $"""
            SELECT hit.* FROM (
                SELECT {Columns}, {Similar} AS tier, NULL::text AS matched_name,
                       GREATEST(word_similarity(@q, p.username), word_similarity(@q, p.search_name))::float8 AS score
                FROM profiles p
                WHERE (@q <% p.username OR @q <% p.search_name)
                  AND {Username} NOT LIKE @excluded AND {SearchName} NOT LIKE @excluded
                  AND {Visible}
            ) hit
            {(after is null ? "" : "WHERE (hit.score, hit.user_id) < (@after_score, @after_id)")}
            ORDER BY hit.score DESC, hit.user_id DESC
            LIMIT @take
            """;
        List<NpgsqlParameter> parameters = [new("q", query), new("excluded", LikePrefix(excluded)), new("me", searcherId), new("take", take)];
        if (after is not null)
        {
            parameters.Add(new("after_score", after.Score));
            parameters.Add(new("after_id", after.UserId));
        }

        return (sql, [.. parameters]);
    }

    private static string LikePrefix(string value) =>
        value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";
}
