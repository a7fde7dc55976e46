using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Messenger.Testing;
using Messenger.Testing.Services;
using User.Tests.Infrastructure;

namespace User.Tests;

public sealed class SearchTests(UserSystem system) : IClassFixture<UserSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>A made-up word no other test uses, so each test searches its own people.</summary>
    /// <remarks>
    /// From all 26 letters: search also matches by trigram similarity, and words over a few letters
    /// (hex digits' a–f once) share enough trigrams now and then for one test to find another's people.
    /// </remarks>
    private static string NewWord() => "q" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", 8);

    [Fact]
    public async Task A_username_prefix_finds_the_user()
    {
        var word = NewWord();
        var alice = await system.NewUserAsync(word);
        var bob = await system.NewUserAsync();

        var hits = await SearchAsync(bob, alice.Username[..(word.Length + 2)]);

        Assert.Equal([alice.Id], hits.Select(h => h.UserId));
    }

    [Fact]
    public async Task The_start_of_any_word_of_the_display_name_finds_the_user()
    {
        var word = NewWord();
        var alice = await system.NewUserAsync(displayName: "Marvin " + Capitalize(word));
        var bob = await system.NewUserAsync();

        var hits = await SearchAsync(bob, word[..5].ToUpperInvariant());

        Assert.Contains(alice.Id, hits.Select(h => h.UserId));
    }

    [Fact]
    public async Task A_misspelled_name_is_found()
    {
        var word = NewWord();
        var alice = await system.NewUserAsync(displayName: "Jonathan " + Capitalize(word) + "ble");
        var bob = await system.NewUserAsync();

        // Two letters swapped at the end: "…ble" searched as "…bel".
        var hits = await SearchAsync(bob, word + "bel");

        Assert.Contains(alice.Id, hits.Select(h => h.UserId));
    }

    [Fact]
    public async Task A_wrong_last_letter_still_finds_the_person()
    {
        var word = NewWord();
        var alice = await system.NewUserAsync(displayName: Capitalize(word) + " Jones");
        var bob = await system.NewUserAsync();

        var hits = await SearchAsync(bob, word[..^1] + (word[^1] == 'z' ? 'y' : 'z'));

        Assert.Equal([alice.Id], hits.Select(h => h.UserId));
    }

    [Fact]
    public async Task Exact_matches_come_before_prefix_matches_before_fuzzy_ones()
    {
        var word = NewWord();
        var searcher = await system.NewUserAsync();
        var fuzzy = await system.NewUserAsync(displayName: "x" + word[1..]);
        var prefix = await system.NewUserAsync(displayName: Capitalize(word) + "ian Smith");
        var exact = await system.NewUserAsync(displayName: Capitalize(word));

        var hits = await SearchAsync(searcher, word);

        Assert.Equal([exact.Id, prefix.Id, fuzzy.Id], hits.Select(h => h.UserId));
        Assert.Equal(Capitalize(word), hits[0].DisplayName);
    }

    [Fact]
    public async Task Hits_are_public_profiles()
    {
        var word = NewWord();
        var alice = await system.NewUserAsync(displayName: Capitalize(word));
        var bob = await system.NewUserAsync();

        var hit = Assert.Single(await SearchAsync(bob, word));

        Assert.Equal((alice.Id, alice.Username, Capitalize(word)), (hit.UserId, hit.Username, hit.DisplayName));
        Assert.Null(hit.Privacy);
    }

    [Fact]
    public async Task A_leading_at_sign_is_ignored()
    {
        var alice = await system.NewUserAsync(NewWord());
        var bob = await system.NewUserAsync();

        var hits = await SearchAsync(bob, "@" + alice.Username);

        Assert.Equal(alice.Id, hits[0].UserId);
    }

    [Fact]
    public async Task The_searcher_does_not_find_themself()
    {
        var word = NewWord();
        var alice = await system.NewUserAsync(displayName: Capitalize(word));

        Assert.Empty(await SearchAsync(alice, word));
    }

    [Fact]
    public async Task Users_who_blocked_the_searcher_are_left_out_for_the_searcher_only()
    {
        var word = NewWord();
        var alice = await system.NewUserAsync(displayName: Capitalize(word));
        var bob = await system.NewUserAsync();
        var carol = await system.NewUserAsync();
        using var blocked = await alice.Client.PostAsync($"/user/{bob.Username}/block", null, Cancellation);
        Assert.Equal(HttpStatusCode.NoContent, blocked.StatusCode);

        Assert.Empty(await SearchAsync(bob, word));
        Assert.Equal([alice.Id], (await SearchAsync(carol, word)).Select(h => h.UserId));
    }

    [Fact]
    public async Task Users_searchable_by_nobody_are_not_found()
    {
        var word = NewWord();
        var alice = await system.NewUserAsync(displayName: Capitalize(word));
        var bob = await system.NewUserAsync();
        await SetSearchableByAsync(alice, "nobody");

        Assert.Empty(await SearchAsync(bob, word));
    }

    [Fact]
    public async Task Pages_walk_through_every_hit_once_and_end_with_a_null_cursor()
    {
        var word = NewWord();
        var people = new List<TestUser>();
        for (var i = 0; i < 5; i++)
        {
            people.Add(await system.NewUserAsync(displayName: $"{Capitalize(word)} {(char)('a' + i)}"));
        }

        var searcher = await system.NewUserAsync();
        var seen = new List<Guid>();
        var pageSizes = new List<int>();
        string? cursor = null;
        do
        {
            var page = await SearchPageAsync(searcher, $"q={word}&limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            pageSizes.Add(page.Items.Count);
            seen.AddRange(page.Items.Select(p => p.UserId));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal([2, 2, 1], pageSizes);
        Assert.Equal(people.Select(p => p.Id).Order(), seen.Order());
    }

    [Fact]
    public async Task Paging_goes_from_prefix_matches_on_to_fuzzy_ones_without_repeats()
    {
        var word = NewWord();
        var prefixA = await system.NewUserAsync(displayName: Capitalize(word) + " Adams");
        var prefixB = await system.NewUserAsync(displayName: Capitalize(word) + " Brown");
        var fuzzyA = await system.NewUserAsync(displayName: "Ann x" + word[1..]);
        var fuzzyB = await system.NewUserAsync(displayName: "Bob y" + word[1..]);
        var searcher = await system.NewUserAsync();

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await SearchPageAsync(searcher, $"q={word}&limit=1" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(page.Items.Select(p => p.UserId));
            cursor = page.NextCursor;
        }
        while (cursor is not null && seen.Count < 10);

        Assert.Equal([prefixA.Id, prefixB.Id], seen.Take(2));
        Assert.Equal(new[] { fuzzyA.Id, fuzzyB.Id }.Order(), seen.Skip(2).Order());
    }

    [Fact]
    public async Task The_last_page_says_nextCursor_null_explicitly()
    {
        var searcher = await system.NewUserAsync();

        using var response = await searcher.Client.GetAsync("/user/search?q=" + NewWord(), Cancellation);

        var json = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.Contains("\"nextCursor\":null", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_in_other_scripts_are_found_by_prefix_in_any_case()
    {
        var tag = NewWord();
        var alice = await system.NewUserAsync(displayName: "Йорвик " + tag);
        var bob = await system.NewUserAsync();

        var hits = await SearchAsync(bob, "ЙОРВИК " + tag[..4]);

        Assert.Equal(alice.Id, hits[0].UserId);
    }

    [Fact]
    public async Task Like_wildcards_in_the_query_match_only_themselves()
    {
        var bob = await system.NewUserAsync();
        await system.NewUserAsync();

        Assert.Empty(await SearchAsync(bob, "%%%"));
        Assert.Empty(await SearchAsync(bob, "___"));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=-5", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=eyJoZWxsbyI6MX0", "cursor")]
    [InlineData("cursor=eyJ0aWVyIjo3LCJuYW1lIjoiYSIsInNjb3JlIjowLCJ1c2VySWQiOiIwMTliMDAwMC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDAifQ", "cursor")]
    [InlineData("cursor=", "q")]
    public async Task Out_of_range_limits_and_foreign_cursors_get_400(string parameter, string field)
    {
        var bob = await system.NewUserAsync();

        using var response = await bob.Client.GetAsync($"/user/search?q=abc&{parameter}", Cancellation);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        if (field != "q")
        {
            Assert.NotEmpty(problem.FieldErrors(field));
        }
    }

    [Fact]
    public async Task A_limit_that_is_not_a_number_gets_400()
    {
        var bob = await system.NewUserAsync();

        using var response = await bob.Client.GetAsync("/user/search?q=abc&limit=ten", Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("")]
    [InlineData("q=")]
    [InlineData("q=%20%20")]
    [InlineData("q=@")]
    public async Task A_missing_or_blank_query_gets_400(string query)
    {
        var bob = await system.NewUserAsync();

        using var response = await bob.Client.GetAsync("/user/search?" + query, Cancellation);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors("q"));
    }

    [Fact]
    public async Task A_query_over_64_characters_gets_400()
    {
        var bob = await system.NewUserAsync();

        using var response = await bob.Client.GetAsync("/user/search?q=" + new string('a', 65), Cancellation);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors("q"));
    }

    [Fact]
    public async Task Search_needs_a_signed_in_user()
    {
        using var response = await system.Users.CreateClient().GetAsync("/user/search?q=alice", Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static string Capitalize(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    private static async Task<List<ProfileBody>> SearchAsync(TestUser searcher, string query) =>
        (await SearchPageAsync(searcher, "q=" + Uri.EscapeDataString(query) + "&limit=100")).Items;

    private static async Task<PageBody<ProfileBody>> SearchPageAsync(TestUser searcher, string query)
    {
        using var response = await searcher.Client.GetAsync("/user/search?" + query, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PageBody<ProfileBody>>(Cancellation))!;
    }

    private static async Task SetSearchableByAsync(TestUser user, string audience)
    {
        using var response = await user.Client.PutAsJsonAsync("/user/" + user.Username, new { privacy = new { searchableBy = audience } }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
