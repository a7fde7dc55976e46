using System.Collections.Concurrent;
using Chat.Api.Domain;
using Messenger.ServiceDefaults.Redis;
using Npgsql;
using StackExchange.Redis;

namespace Chat.Api.Data;

/// <summary>
/// The conversations' members (and, for direct ones, blocks) cached in memory, so checking a
/// message's sender costs no query. Membership changes are rare: whoever changes one calls
/// <see cref="InvalidateAsync"/>, which drops the entry here and, through a Redis channel, on every
/// other instance. Entries also expire, in case an invalidation was missed while Redis was down.
/// </summary>
public sealed partial class ConversationDirectory(
    NpgsqlDataSource dataSource,
    IConnectionMultiplexer redis,
    TimeProvider time,
    ILogger<ConversationDirectory> logger) : IHostedService
{
    private const int MaxEntries = 200_000;
    private static readonly TimeSpan EntryLifetime = TimeSpan.FromMinutes(5);
    private static readonly RedisChannel ChangedChannel = RedisChannel.Literal("chat:conversation-changed");

    private readonly ConcurrentDictionary<Guid, Entry> entries = new();
    private long generation;

    /// <summary>The conversation, or null when it does not exist.</summary>
    public async ValueTask<ConversationSnapshot?> GetAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (entries.TryGetValue(conversationId, out var entry) && entry.ExpiresAt > now)
        {
            return entry.Snapshot;
        }

        // A load that overlaps an invalidation must not store what it read before the change.
        var before = Interlocked.Read(ref generation);
        var snapshot = await LoadAsync(conversationId, cancellationToken);
        if (snapshot is not null && Interlocked.Read(ref generation) == before)
        {
            if (entries.Count >= MaxEntries)
            {
                entries.Clear();
            }

            entries[conversationId] = new Entry(snapshot, now + EntryLifetime);
        }

        return snapshot;
    }

    /// <summary>Forgets the conversation here and on every other instance.</summary>
    public async Task InvalidateAsync(Guid conversationId)
    {
        Forget(conversationId);
        try
        {
            await redis.GetSubscriber().PublishAsync(ChangedChannel, conversationId.ToString());
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            LogInvalidationNotSent(logger, conversationId, ex);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(ChangedChannel, (_, value) =>
            {
                if (Guid.TryParse(value.ToString(), out var id))
                {
                    Forget(id);
                }
            });
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            LogInvalidationNotSent(logger, Guid.Empty, ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Forget(Guid conversationId)
    {
        Interlocked.Increment(ref generation);
        entries.TryRemove(conversationId, out _);
    }

    private async Task<ConversationSnapshot?> LoadAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT type, title, created_at FROM conversations WHERE id = $1")
        {
            Parameters = { new NpgsqlParameter { Value = conversationId } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT user_id FROM conversation_members WHERE conversation_id = $1 ORDER BY joined_at, user_id")
        {
            Parameters = { new NpgsqlParameter { Value = conversationId } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT b.blocked_id FROM user_blocks b " +
            "JOIN conversation_members a ON a.conversation_id = $1 AND a.user_id = b.blocker_id " +
            "JOIN conversation_members d ON d.conversation_id = $1 AND d.user_id = b.blocked_id WHERE b.is_blocked")
        {
            Parameters = { new NpgsqlParameter { Value = conversationId } },
        });

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var type = reader.GetString(0);
        var title = reader.IsDBNull(1) ? null : reader.GetString(1);
        var createdAt = reader.GetFieldValue<DateTimeOffset>(2);
        await reader.NextResultAsync(cancellationToken);
        var members = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            members.Add(reader.GetGuid(0));
        }

        await reader.NextResultAsync(cancellationToken);
        var blocked = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            blocked.Add(reader.GetGuid(0));
        }

        // Blocks shut a blocked user out of the direct conversation with the blocker only.
        return new ConversationSnapshot(conversationId, type, title, createdAt, members, type == ConversationTypes.Direct ? blocked : []);
    }

    private sealed record Entry(ConversationSnapshot? Snapshot, DateTimeOffset ExpiresAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Other instances were not told that conversation {ConversationId} changed; their cache catches up when the entry expires")]
    private static partial void LogInvalidationNotSent(ILogger logger, Guid conversationId, Exception exception);
}
