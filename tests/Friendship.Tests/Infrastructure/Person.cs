using System.Net;
using System.Net.Http.Json;
using Messenger.Testing.Services;

namespace Friendship.Tests.Infrastructure;

/// <summary>A registered user with clients of User and Friendship carrying their token.</summary>
public sealed record Person(Tokens Tokens, HttpClient Users, HttpClient Friends)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public Guid Id => Tokens.UserId;

    public string Username => Tokens.Username;

    public Task<HttpResponseMessage> RequestAsync(object body) => Friends.PostAsJsonAsync("/friends/request", body, Cancellation);

    /// <summary>Sends a friend request that must be created (201).</summary>
    public async Task<RequestBody> SendRequestAsync(Person to)
    {
        using var response = await RequestAsync(new { username = to.Username });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RequestBody>(Cancellation))!;
    }

    public async Task<PageBody<FriendBody>> FriendsOfAsync(Person owner, string query = "")
    {
        using var response = await Friends.GetAsync($"/friends/{owner.Id}{query}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PageBody<FriendBody>>(Cancellation))!;
    }

    public async Task<PageBody<RequestBody>> RequestsAsync(string direction, string query = "")
    {
        using var response = await Friends.GetAsync($"/friends/requests?direction={direction}{query}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PageBody<RequestBody>>(Cancellation))!;
    }

    public async Task SetPrivacyAsync(object privacy)
    {
        using var response = await Users.PutAsJsonAsync("/user/" + Username, new { privacy }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

public sealed record RequestBody(
    Guid RequestId, Guid FromUserId, Guid ToUserId, string Status, DateTimeOffset CreatedAt, string FromUsername, string ToUsername);

public sealed record FriendBody(Guid UserId, string Username, string DisplayName, DateTimeOffset Since, string? AvatarUrl);

public sealed record PageBody<T>(List<T> Items, string? NextCursor);
