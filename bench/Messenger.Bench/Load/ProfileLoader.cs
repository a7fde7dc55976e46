using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Messenger.Bench.Load;

/// <summary>
/// Fills the User service's database with made-up but realistic profiles: common first and last
/// names combined the ways people pick usernames, so many people share a name (as in life) and
/// prefixes and typos hit thousands of candidates. Loaded with binary COPY, with the search
/// indexes built afterwards (the way a bulk import is done).
/// </summary>
internal sealed class ProfileLoader(string connectionString, int seed = 42)
{
    public static readonly string[] FirstNames =
    [
        "olivia", "emma", "ava", "sophia", "isabella", "mia", "amelia", "harper", "evelyn", "abigail", "emily", "ella",
        "elizabeth", "camila", "luna", "sofia", "avery", "mila", "aria", "scarlett", "penelope", "layla", "chloe", "victoria",
        "madison", "eleanor", "grace", "nora", "riley", "zoey", "hannah", "hazel", "lily", "ellie", "violet", "lillian",
        "zoe", "stella", "aurora", "natalie", "emilia", "everly", "leah", "aubrey", "willow", "addison", "lucy", "audrey",
        "liam", "noah", "william", "james", "oliver", "benjamin", "elijah", "lucas", "mason", "logan", "alexander", "ethan",
        "jacob", "michael", "daniel", "henry", "jackson", "sebastian", "aiden", "matthew", "samuel", "david", "joseph", "carter",
        "owen", "wyatt", "john", "jack", "luke", "jayden", "dylan", "grayson", "levi", "isaac", "gabriel", "julian",
        "mateo", "anthony", "jaxon", "lincoln", "joshua", "christopher", "andrew", "theodore", "caleb", "ryan", "asher", "nathan",
        "ivan", "dmitri", "sergei", "olga", "natasha", "anna", "maria", "elena", "pavel", "nikolai", "yuki", "hiro",
        "wei", "li", "chen", "amir", "fatima", "omar", "leila", "ahmed", "priya", "arjun", "rahul", "ananya",
    ];

    public static readonly string[] LastNames =
    [
        "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez", "hernandez",
        "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson",
        "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker", "young", "allen", "king", "wright",
        "scott", "torres", "nguyen", "hill", "flores", "green", "adams", "nelson", "baker", "hall", "rivera", "campbell",
        "mitchell", "carter", "roberts", "gomez", "phillips", "evans", "turner", "diaz", "parker", "cruz", "edwards", "collins",
        "reyes", "stewart", "morris", "morales", "murphy", "cook", "rogers", "gutierrez", "ortiz", "morgan", "cooper", "peterson",
        "bailey", "reed", "kelly", "howard", "ramos", "kim", "cox", "ward", "richardson", "watson", "brooks", "chavez",
        "wood", "james", "bennett", "gray", "mendoza", "ruiz", "hughes", "price", "alvarez", "castillo", "sanders", "patel",
        "ivanov", "petrov", "smirnov", "kuznetsov", "popov", "tanaka", "suzuki", "sato", "wang", "zhang", "liu", "khan",
    ];

    private readonly Random random = new(seed);

    /// <summary>A sample of the usernames loaded, for queries.</summary>
    public List<string> SampleUsernames { get; } = [];

    public async Task<LoadReport> LoadAsync(int count, IReadOnlyList<Guid> friendsOfSearcher, Guid searcherId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var indexes = await ReadIndexesAsync(connection);
        foreach (var (name, _) in indexes)
        {
            await ExecuteAsync(connection, $"DROP INDEX {name}");
        }

        var copy = Stopwatch.StartNew();
        var ids = await CopyProfilesAsync(connection, count);
        var edges = await CopyFriendEdgesAsync(connection, ids, friendsOfSearcher, searcherId);
        copy.Stop();

        var build = Stopwatch.StartNew();
        await ExecuteAsync(connection, "SET maintenance_work_mem = '512MB'");
        foreach (var (_, definition) in indexes)
        {
            await ExecuteAsync(connection, definition);
        }

        build.Stop();
        await ExecuteAsync(connection, "ANALYZE profiles");
        await ExecuteAsync(connection, "ANALYZE friend_edges");
        return new LoadReport(count, edges, copy.Elapsed, build.Elapsed, [.. indexes.Select(i => i.Name)]);
    }

    private async Task<List<Guid>> CopyProfilesAsync(NpgsqlConnection connection, int count)
    {
        var used = new HashSet<string>(count, StringComparer.Ordinal);
        var ids = new List<Guid>(count);
        var start = DateTimeOffset.UtcNow.AddYears(-3);
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY profiles (user_id, username, display_name, search_name, bio, avatar_url, created_at, updated_at, " +
            "searchable_by, friend_requests_from, friend_list_visible_to) FROM STDIN (FORMAT BINARY)");
        for (var i = 0; i < count; i++)
        {
            var first = FirstNames[random.Next(FirstNames.Length)];
            var last = LastNames[random.Next(LastNames.Length)];
            var username = UniqueUsername(first, last, used);
            var displayName = random.Next(10) switch
            {
                0 => Capitalize(first),
                1 => Capitalize(first) + " " + char.ToUpperInvariant(last[0]) + ".",
                _ => Capitalize(first) + " " + Capitalize(last),
            };
            var created = start.AddSeconds(random.NextDouble() * 3 * 365 * 24 * 3600);
            var id = Guid.CreateVersion7(created);
            ids.Add(id);
            if (i % 500 == 0)
            {
                SampleUsernames.Add(username);
            }

            await importer.StartRowAsync();
            await importer.WriteAsync(id, NpgsqlDbType.Uuid);
            await importer.WriteAsync(username, NpgsqlDbType.Varchar);
            await importer.WriteAsync(displayName, NpgsqlDbType.Varchar);
            await importer.WriteAsync(displayName.ToLowerInvariant(), NpgsqlDbType.Varchar);
            await WriteNullableAsync(importer, random.Next(3) == 0 ? $"Hi, I'm {Capitalize(first)}. Coffee, code and long walks." : null);
            await WriteNullableAsync(importer, random.Next(5) < 2 ? $"https://cdn.example.org/avatars/{id:N}.jpg" : null);
            await importer.WriteAsync(created, NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(created, NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(random.Next(100) switch { < 88 => "Everyone", < 98 => "FriendsOfFriends", _ => "Nobody" }, NpgsqlDbType.Varchar);
            await importer.WriteAsync("Everyone", NpgsqlDbType.Varchar);
            await importer.WriteAsync("Friends", NpgsqlDbType.Varchar);
        }

        await importer.CompleteAsync();
        return ids;
    }

    /// <summary>Friendships for "friends of friends" checks: random pairs, plus friends for the searcher.</summary>
    private async Task<int> CopyFriendEdgesAsync(NpgsqlConnection connection, List<Guid> ids, IReadOnlyList<Guid> friendsOfSearcher, Guid searcherId)
    {
        var pairs = new HashSet<(Guid, Guid)>();
        while (pairs.Count < ids.Count / 4)
        {
            var a = ids[random.Next(ids.Count)];
            var b = ids[random.Next(ids.Count)];
            if (a != b)
            {
                pairs.Add(a.CompareTo(b) < 0 ? (a, b) : (b, a));
            }
        }

        foreach (var friend in friendsOfSearcher.Concat(Enumerable.Range(0, 50).Select(_ => ids[random.Next(ids.Count)])))
        {
            pairs.Add(searcherId.CompareTo(friend) < 0 ? (searcherId, friend) : (friend, searcherId));
        }

        await using var importer = await connection.BeginBinaryImportAsync("COPY friend_edges (user_id, friend_id) FROM STDIN (FORMAT BINARY)");
        foreach (var (a, b) in pairs)
        {
            await importer.WriteRowAsync(default, a, b);
            await importer.WriteRowAsync(default, b, a);
        }

        await importer.CompleteAsync();
        return pairs.Count * 2;
    }

    private string UniqueUsername(string first, string last, HashSet<string> used)
    {
        var stem = random.Next(6) switch
        {
            0 => $"{first}.{last}",
            1 => $"{first}{last}",
            2 => $"{first}_{last}",
            3 => $"{first[0]}{last}",
            4 => $"{last}.{first}",
            _ => first,
        };
        var candidate = stem;
        while (!used.Add(candidate))
        {
            candidate = stem + random.Next(1, random.Next(2) == 0 ? 100 : 10_000);
        }

        return candidate;
    }

    private static async Task<List<(string Name, string Definition)>> ReadIndexesAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'profiles' AND indexname LIKE 'ix_profiles_%' ORDER BY indexname", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var indexes = new List<(string, string)>();
        while (await reader.ReadAsync())
        {
            indexes.Add((reader.GetString(0), reader.GetString(1)));
        }

        return indexes;
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value)
    {
        if (value is null)
        {
            await importer.WriteNullAsync();
        }
        else
        {
            await importer.WriteAsync(value, NpgsqlDbType.Varchar);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private static string Capitalize(string name) => char.ToUpperInvariant(name[0]) + name[1..];
}

internal sealed record LoadReport(int Profiles, int FriendEdges, TimeSpan CopyTime, TimeSpan IndexTime, IReadOnlyList<string> Indexes);
