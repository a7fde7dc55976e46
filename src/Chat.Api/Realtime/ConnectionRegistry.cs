using System.Collections.Concurrent;

namespace Chat.Api.Realtime;

/// <summary>The chat sockets open on this instance, by user. Reads are lock-free (each user's array is copied on write).</summary>
internal sealed class ConnectionRegistry
{
    private readonly Lock sync = new();
    private readonly ConcurrentDictionary<Guid, ChatConnection[]> byUser = new();

    /// <summary>Adds a connection; true when it is the user's first on this instance.</summary>
    public bool Add(ChatConnection connection)
    {
        lock (sync)
        {
            var first = !byUser.TryGetValue(connection.UserId, out var existing);
            byUser[connection.UserId] = first ? [connection] : [.. existing!, connection];
            return first;
        }
    }

    /// <summary>Removes a connection; true when it was the user's last on this instance.</summary>
    public bool Remove(ChatConnection connection)
    {
        lock (sync)
        {
            if (!byUser.TryGetValue(connection.UserId, out var existing))
            {
                return false;
            }

            var rest = existing.Where(c => c != connection).ToArray();
            if (rest.Length == 0)
            {
                byUser.TryRemove(connection.UserId, out _);
                return true;
            }

            byUser[connection.UserId] = rest;
            return false;
        }
    }

    public ChatConnection[] For(Guid userId) => byUser.TryGetValue(userId, out var connections) ? connections : [];

    public IReadOnlyCollection<Guid> Users => [.. byUser.Keys];

    public IEnumerable<ChatConnection> All => byUser.Values.SelectMany(c => c);
}
