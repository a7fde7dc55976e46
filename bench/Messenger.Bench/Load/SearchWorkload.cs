using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messenger.Bench.Load;

/// <summary>What people type into a user search box, in six kinds, drawn from the loaded names.</summary>
internal sealed class SearchWorkload(IReadOnlyList<string> usernames, int seed = 7)
{
    public static readonly string[] Kinds =
    [
        "1–2 letter prefix", "username prefix (3–6)", "first name", "full name", "misspelled name", "exact username",
    ];

    private readonly Random random = new(seed);

    /// <summary>A query, and for a misspelled one the name it was meant to be.</summary>
    public (string Kind, string Query, string? Meant) Next()
    {
        var first = ProfileLoader.FirstNames[random.Next(ProfileLoader.FirstNames.Length)];
        var last = ProfileLoader.LastNames[random.Next(ProfileLoader.LastNames.Length)];
        var username = usernames[random.Next(usernames.Count)];
        var kind = Kinds[random.Next(Kinds.Length)];
        var meant = random.Next(2) == 0 ? first : last;
        var query = kind switch
        {
            "1–2 letter prefix" => first[..random.Next(1, 3)],
            "username prefix (3–6)" => username[..Math.Min(username.Length, random.Next(3, 7))],
            "first name" => first,
            "full name" => $"{first} {last}",
            "misspelled name" => Misspell(meant),
            _ => username,
        };
        return (kind, query, kind == "misspelled name" ? meant : null);
    }

    /// <summary>Runs <paramref name="count"/> searches over <paramref name="clients"/> parallel connections; returns each one's kind, time and hit count.</summary>
    public async Task<List<SearchSample>> RunAsync(Func<HttpClient> createClient, int count, int clients, int limit)
    {
        var queries = Enumerable.Range(0, count).Select(_ => Next()).ToArray();
        var samples = new SearchSample[count];
        var next = -1;
        var workers = Enumerable.Range(0, clients).Select(async _ =>
        {
            using var client = createClient();
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var (kind, query, meant) = queries[i];
                var watch = Stopwatch.StartNew();
                using var response = await client.GetAsync($"/user/search?limit={limit}&q={Uri.EscapeDataString(query)}");
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                watch.Stop();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"Search for '{query}' answered {(int)response.StatusCode}: {body}");
                }

                var items = body.GetProperty("items").EnumerateArray().ToList();
                var foundMeant = meant is not null && items.Any(item =>
                    item.GetProperty("username").GetString()!.Contains(meant, StringComparison.Ordinal)
                    || item.GetProperty("displayName").GetString()!.Contains(meant, StringComparison.OrdinalIgnoreCase));
                samples[i] = new SearchSample(kind, query, watch.Elapsed, items.Count, foundMeant);
            }
        });
        await Task.WhenAll(workers);
        return [.. samples];
    }

    private string Misspell(string word)
    {
        var letters = word.ToCharArray();
        var at = random.Next(1, letters.Length);
        if (at + 1 < letters.Length && random.Next(2) == 0)
        {
            (letters[at], letters[at + 1]) = (letters[at + 1], letters[at]);
        }
        else
        {
            letters[at] = (char)('a' + random.Next(26));
        }

        return new string(letters);
    }
}

/// <param name="FoundMeant">For a misspelled name: whether a hit carries the name it was meant to be.</param>
internal sealed record SearchSample(string Kind, string Query, TimeSpan Elapsed, int Hits, bool FoundMeant);
