using System.Net;
using Messenger.Contracts;
using Messenger.Contracts.Users;

namespace Friendship.Api.Users;

/// <summary>
/// Asks the User service who a user is (its internal lookup). Every call runs through the
/// resilience pipeline of <see cref="Extensions.FriendshipServiceExtensions"/>: a time limit per try
/// and in total, retries and a circuit breaker. When User cannot answer, the exception becomes a
/// 503 with Retry-After for our caller.
/// </summary>
public sealed class UserDirectory(HttpClient http)
{
    public const string HttpClientName = "user-directory";

    /// <summary>The user, or null when User says there is none.</summary>
    public Task<DirectoryEntry?> FindByIdAsync(Guid userId, CancellationToken cancellationToken) =>
        FindAsync($"internal/users/{userId}", cancellationToken);

    public Task<DirectoryEntry?> FindByUsernameAsync(string username, CancellationToken cancellationToken) =>
        FindAsync($"internal/users/by-username/{Uri.EscapeDataString(username)}", cancellationToken);

    /// <summary>The users among <paramref name="userIds"/> that exist, by id.</summary>
    public async Task<IReadOnlyDictionary<Guid, DirectoryEntry>> FindManyAsync(IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken)
    {
        if (userIds.Count == 0)
        {
            return new Dictionary<Guid, DirectoryEntry>();
        }

        var query = string.Join('&', userIds.Distinct().Select(id => "ids=" + id));
        using var response = await http.GetAsync("internal/users?" + query, cancellationToken);
        var list = await ReadAsync<DirectoryEntryList>(response, cancellationToken);
        return list.Items.ToDictionary(e => e.UserId);
    }

    private async Task<DirectoryEntry?> FindAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync<DirectoryEntry>(response, cancellationToken);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            // Anything but an answer is User being unable to help right now.
            throw new HttpRequestException($"The User service answered {(int)response.StatusCode} to {response.RequestMessage?.RequestUri?.AbsolutePath}.", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<T>(EventJson.Options, cancellationToken)
            ?? throw new HttpRequestException("The User service answered with an empty body.");
    }
}
