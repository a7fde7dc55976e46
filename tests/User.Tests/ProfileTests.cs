using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messenger.Contracts.Users;
using Messenger.Testing.Services;
using User.Tests.Infrastructure;

namespace User.Tests;

public sealed class ProfileTests(UserSystem system) : IClassFixture<UserSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Registration_creates_a_profile_with_the_display_name_given_to_Auth()
    {
        var alice = await system.NewUserAsync("alice", displayName: "Alice Liddell");

        var profile = await alice.ReadProfileAsync();

        Assert.Equal(alice.Id, profile.UserId);
        Assert.Equal(alice.Username, profile.Username);
        Assert.Equal("Alice Liddell", profile.DisplayName);
        Assert.Null(profile.Bio);
        Assert.Null(profile.AvatarUrl);
        Assert.True(profile.CreatedAt > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task Without_a_display_name_the_username_is_shown()
    {
        var bob = await system.NewUserAsync("bob");

        Assert.Equal(bob.Username, (await bob.ReadProfileAsync()).DisplayName);
    }

    [Fact]
    public async Task The_owner_sees_privacy_settings_with_their_defaults()
    {
        var alice = await system.NewUserAsync();

        var profile = await alice.ReadProfileAsync();

        Assert.Equal(new PrivacyBody("everyone", "everyone", "friends"), profile.Privacy);
        Assert.NotNull(profile.UpdatedAt);
    }

    [Fact]
    public async Task Others_see_only_the_public_fields()
    {
        var alice = await system.NewUserAsync();
        var bob = await system.NewUserAsync();

        using var response = await bob.GetProfileAsync(alice.Username);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var fields = json.EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(["avatarUrl", "bio", "createdAt", "displayName", "userId", "username"], fields);
    }

    [Fact]
    public async Task Usernames_are_found_in_any_case()
    {
        var alice = await system.NewUserAsync();

        var profile = await alice.ReadProfileAsync(alice.Username.ToUpperInvariant());

        Assert.Equal(alice.Id, profile.UserId);
    }

    [Fact]
    public async Task An_unknown_username_gets_404()
    {
        var alice = await system.NewUserAsync();

        using var response = await alice.GetProfileAsync("nobody_" + Guid.NewGuid().ToString("N")[..8]);

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Profiles_need_a_signed_in_user()
    {
        var alice = await system.NewUserAsync();

        using var response = await system.Users.CreateClient().GetAsync("/user/" + alice.Username, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_owner_updates_display_name_bio_and_avatar()
    {
        var alice = await system.NewUserAsync();

        using var response = await alice.Client.PutAsJsonAsync("/user/" + alice.Username,
            new { displayName = "  Alice Pleasance  ", bio = "Curiouser and curiouser.\nDown the rabbit hole.", avatarUrl = "https://cdn.example.org/a.png" },
            Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var returned = (await response.Content.ReadFromJsonAsync<ProfileBody>(Cancellation))!;
        Assert.Equal("Alice Pleasance", returned.DisplayName);
        Assert.NotNull(returned.Privacy);
        var stored = await alice.ReadProfileAsync();
        Assert.Equal(returned, stored);
        Assert.Equal("Curiouser and curiouser.\nDown the rabbit hole.", stored.Bio);
        Assert.Equal("https://cdn.example.org/a.png", stored.AvatarUrl);
    }

    [Fact]
    public async Task Fields_left_out_stay_and_empty_strings_clear_bio_and_avatar()
    {
        var alice = await system.NewUserAsync(displayName: "Alice");
        await PutAsync(alice, new { bio = "Hello", avatarUrl = "http://example.org/me.jpg" });

        await PutAsync(alice, new { bio = "" });
        var afterClearingBio = await alice.ReadProfileAsync();
        await PutAsync(alice, new { avatarUrl = "" });
        var afterClearingAvatar = await alice.ReadProfileAsync();

        Assert.Equal(("Alice", (string?)null, "http://example.org/me.jpg"), (afterClearingBio.DisplayName, afterClearingBio.Bio, afterClearingBio.AvatarUrl));
        Assert.Equal(("Alice", (string?)null, (string?)null), (afterClearingAvatar.DisplayName, afterClearingAvatar.Bio, afterClearingAvatar.AvatarUrl));
    }

    [Fact]
    public async Task The_owner_changes_privacy_settings()
    {
        var alice = await system.NewUserAsync();

        await PutAsync(alice, new { privacy = new { searchableBy = "friendsOfFriends", friendRequestsFrom = "nobody" } });

        Assert.Equal(new PrivacyBody("friendsOfFriends", "nobody", "friends"), (await alice.ReadProfileAsync()).Privacy);
    }

    [Fact]
    public async Task Another_users_token_cannot_change_my_profile()
    {
        var alice = await system.NewUserAsync(displayName: "Alice");
        var mallory = await system.NewUserAsync();

        using var response = await mallory.Client.PutAsJsonAsync("/user/" + alice.Username, new { displayName = "Hacked" }, Cancellation);

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("Alice", (await alice.ReadProfileAsync()).DisplayName);
    }

    [Fact]
    public async Task Updating_a_profile_without_a_token_gets_401()
    {
        var alice = await system.NewUserAsync();

        using var response = await system.Users.CreateClient().PutAsJsonAsync("/user/" + alice.Username, new { displayName = "x" }, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    public static TheoryData<string, string> InvalidUpdates => new()
    {
        { """{"displayName": ""}""", "displayName" },
        { """{"displayName": "   "}""", "displayName" },
        { $$"""{"displayName": "{{new string('x', 65)}}"}""", "displayName" },
        { """{"displayName": "tab\there"}""", "displayName" },
        { $$"""{"bio": "{{new string('b', 501)}}"}""", "bio" },
        { """{"bio": "bell\u0007"}""", "bio" },
        { """{"avatarUrl": "ftp://example.org/a.png"}""", "avatarUrl" },
        { """{"avatarUrl": "javascript:alert(1)"}""", "avatarUrl" },
        { """{"avatarUrl": "/relative/a.png"}""", "avatarUrl" },
        { """{"avatarUrl": "https://user:secret@example.org/a.png"}""", "avatarUrl" },
        { """{"privacy": {"searchableBy": 7}}""", "privacy.searchableBy" },
        { """{"privacy": {"friendRequestsFrom": "friends"}}""", "privacy.friendRequestsFrom" },
    };

    [Theory]
    [MemberData(nameof(InvalidUpdates))]
    public async Task Invalid_fields_get_400_with_the_field_named(string body, string field)
    {
        var alice = await system.NewUserAsync(displayName: "Alice");

        using var response = await PutRawAsync(alice, body);

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem.FieldErrors(field));
        Assert.Equal("Alice", (await alice.ReadProfileAsync()).DisplayName);
    }

    [Fact]
    public async Task A_display_name_of_64_characters_including_emoji_is_accepted()
    {
        var alice = await system.NewUserAsync();
        var name = string.Concat(Enumerable.Repeat("😀", 4)) + new string('a', 60);

        await PutAsync(alice, new { displayName = name });

        Assert.Equal(name, (await alice.ReadProfileAsync()).DisplayName);
    }

    [Theory]
    [InlineData("{\"displayName\": ")]
    [InlineData("not json")]
    [InlineData("{\"displayName\": 42}")]
    [InlineData("{\"privacy\": {\"searchableBy\": \"strangers\"}}")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task Malformed_or_mistyped_json_gets_400_problem_details(string body)
    {
        var alice = await system.NewUserAsync();

        using var response = await PutRawAsync(alice, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_public_change_publishes_UserProfileUpdated_and_a_privacy_change_does_not()
    {
        var alice = await system.NewUserAsync();

        await PutAsync(alice, new { privacy = new { searchableBy = "nobody" } });
        await PutAsync(alice, new { displayName = "Alice Again", bio = "hi", avatarUrl = "https://example.org/x.png" });

        var updated = await system.Published.WaitForAsync<UserProfileUpdated>(e => e.UserId == alice.Id, "alice's profile update");
        Assert.Equal((alice.Username, "Alice Again", "hi", "https://example.org/x.png"), (updated.Username, updated.DisplayName, updated.Bio, updated.AvatarUrl));
        // Events of one user are ordered, so a privacy-only event would have arrived first.
        Assert.Single(system.Published.All<UserProfileUpdated>(), e => e.Event.UserId == alice.Id);
    }

    private static async Task PutAsync(TestUser user, object body)
    {
        using var response = await user.Client.PutAsJsonAsync("/user/" + user.Username, body, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> PutRawAsync(TestUser user, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await user.Client.PutAsync("/user/" + user.Username, content, Cancellation);
    }
}
