using Npgsql;
using StackExchange.Redis;

namespace Messenger.Bench.Infrastructure;

/// <summary>
/// What the stores hold, read over their own protocols: Redis's allocated memory and the entries of
/// its event-log streams (with how many of them some consumer group has not read yet), and the size
/// of PostgreSQL's databases. A store's RSS grows with the data it keeps; these say whether that is
/// what grew.
/// </summary>
internal sealed class StoreProbe : IAsyncDisposable
{
    private readonly ConnectionMultiplexer redis;
    private readonly string postgres;

    private StoreProbe(ConnectionMultiplexer redis, string postgres) => (this.redis, this.postgres) = (redis, postgres);

    public static async Task<StoreProbe> OpenAsync(string redisConnectionString, string postgresConnectionString) =>
        new(await ConnectionMultiplexer.ConnectAsync(redisConnectionString + ",allowAdmin=true"), postgresConnectionString);

    public async Task<StoreReading> ReadAsync()
    {
        var db = redis.GetDatabase();
        var memory = await redis.GetServers()[0].InfoAsync("memory");
        var usedBytes = memory.SelectMany(g => g).Where(p => p.Key == "used_memory")
            .Select(p => long.Parse(p.Value, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();

        long entries = 0, unread = 0;
        foreach (var stream in await StreamsAsync(db))
        {
            entries += await db.StreamLengthAsync(stream);
            var groups = await db.StreamGroupInfoAsync(stream);
            unread += groups.Length == 0 ? 0 : groups.Max(g => (g.Lag ?? 0) + g.PendingMessageCount);
        }

        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var size = new NpgsqlCommand("select sum(pg_database_size(datname))::bigint from pg_database", connection);
        var databaseBytes = (long)(await size.ExecuteScalarAsync() ?? 0L);
        return new StoreReading(usedBytes / 1048576.0, entries, unread, databaseBytes / 1048576.0);
    }

    private static async Task<List<RedisKey>> StreamsAsync(IDatabase db)
    {
        var streams = new List<RedisKey>();
        var cursor = "0";
        do
        {
            var page = (RedisResult[])(await db.ExecuteAsync("SCAN", cursor, "COUNT", 1000, "TYPE", "stream"))!;
            cursor = (string)page[0]!;
            streams.AddRange(((RedisResult[])page[1]!).Select(k => (RedisKey)(string)k!));
        }
        while (cursor != "0");
        return streams;
    }

    public async ValueTask DisposeAsync() => await redis.DisposeAsync();
}

/// <param name="RedisUsedMiB">Redis's own count of the memory it allocated (<c>used_memory</c>).</param>
/// <param name="StreamEntries">Entries in all event-log streams.</param>
/// <param name="UnreadEntries">Per stream, the entries its slowest group has not yet read or acknowledged, summed.</param>
/// <param name="PostgresDataMiB">The size of every PostgreSQL database, summed.</param>
internal sealed record StoreReading(double RedisUsedMiB, long StreamEntries, long UnreadEntries, double PostgresDataMiB);
