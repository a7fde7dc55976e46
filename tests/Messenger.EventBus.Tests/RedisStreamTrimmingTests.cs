using Messenger.EventBus.Redis;
using Messenger.Testing;
using StackExchange.Redis;

namespace Messenger.EventBus.Tests;

/// <summary>Streams are kept short without dropping what a lagging consumer group still has to handle.</summary>
public sealed class RedisStreamTrimmingTests(TestServers servers) : IAsyncLifetime
{
    private const int Entries = 3_000;
    private ConnectionMultiplexer redis = null!;

    private IDatabase Db => redis.GetDatabase();

    public async ValueTask InitializeAsync() => redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString);

    public async ValueTask DisposeAsync() => await redis.DisposeAsync();

    [Fact]
    public async Task Entries_a_slow_group_has_not_acknowledged_survive_and_those_every_group_is_done_with_go()
    {
        var stream = await StreamAsync();
        var ids = await AppendAsync(stream, Entries);
        await Db.StreamCreateConsumerGroupAsync(stream, "fast", StreamPosition.Beginning);
        await Db.StreamCreateConsumerGroupAsync(stream, "slow", StreamPosition.Beginning);
        await ReadAndAcknowledgeAsync(stream, "fast", read: Entries, acknowledge: Entries);
        // The slow group was given 2,000 entries and finished the first 1,000 of them.
        await ReadAndAcknowledgeAsync(stream, "slow", read: 2_000, acknowledge: 1_000);

        var trimmed = await RedisStreamTrimmer.TrimAcknowledgedAsync(Db, stream);

        var left = await Db.StreamRangeAsync(stream);
        Assert.True(trimmed > 0, "Nothing was trimmed although 1,000 entries were done with");
        Assert.Equal(Entries - trimmed, left.Length);
        // Everything from the slow group's first unacknowledged entry on is still there, in order.
        Assert.Equal(ids[1_000..], left.Select(e => e.Id.ToString()).TakeLast(Entries - 1_000));
    }

    [Fact]
    public async Task A_backlog_larger_than_what_redis_trims_per_call_goes_in_one_pass()
    {
        // Redis removes at most 10,000 entries per approximate trim; at 500 messages/s a stream
        // gains 15,000 between two passes 30 s apart.
        const int backlog = 25_000;
        var stream = await StreamAsync();
        await AppendAsync(stream, backlog);
        await Db.StreamCreateConsumerGroupAsync(stream, "only", StreamPosition.Beginning);
        await ReadAndAcknowledgeAsync(stream, "only", read: backlog, acknowledge: backlog);

        var trimmed = await RedisStreamTrimmer.TrimAcknowledgedAsync(Db, stream);

        // What stays is at most the last node (100 entries by default), which holds the last entry.
        var left = await Db.StreamLengthAsync(stream);
        Assert.True(left <= 100, $"{left} of {backlog} acknowledged entries are still in the stream");
        Assert.Equal(backlog - left, trimmed);
    }

    [Fact]
    public async Task A_group_that_has_read_nothing_keeps_the_whole_stream()
    {
        var stream = await StreamAsync();
        await AppendAsync(stream, Entries);
        await Db.StreamCreateConsumerGroupAsync(stream, "fast", StreamPosition.Beginning);
        await Db.StreamCreateConsumerGroupAsync(stream, "idle", StreamPosition.Beginning);
        await ReadAndAcknowledgeAsync(stream, "fast", read: Entries, acknowledge: Entries);

        var trimmed = await RedisStreamTrimmer.TrimAcknowledgedAsync(Db, stream);

        Assert.Equal(0, trimmed);
        Assert.Equal(Entries, await Db.StreamLengthAsync(stream));
    }

    [Fact]
    public async Task A_stream_nobody_reads_yet_is_left_alone()
    {
        var stream = await StreamAsync();
        await AppendAsync(stream, 500);

        Assert.Equal(0, await RedisStreamTrimmer.TrimAcknowledgedAsync(Db, stream));
        Assert.Equal(500, await Db.StreamLengthAsync(stream));
    }

    [Fact]
    public void Stream_ids_order_by_time_then_sequence()
    {
        var ids = new[] { "1700000000000-3", "1700000000000-12", "999-0", "1700000000001-0" }.Select(RedisStreamTrimmer.StreamId.Parse).Order().Select(i => i.ToString());

        Assert.Equal(["999-0", "1700000000000-3", "1700000000000-12", "1700000000001-0"], ids);
    }

    private async Task<RedisKey> StreamAsync()
    {
        RedisKey stream = "trim-test:" + Guid.NewGuid().ToString("N");
        await Db.KeyDeleteAsync(stream);
        return stream;
    }

    private async Task<string[]> AppendAsync(RedisKey stream, int count)
    {
        var batch = Db.CreateBatch();
        var adds = Enumerable.Range(0, count).Select(i => batch.StreamAddAsync(stream, "n", i)).ToArray();
        batch.Execute();
        return [.. (await Task.WhenAll(adds)).Select(id => id.ToString())];
    }

    private async Task ReadAndAcknowledgeAsync(RedisKey stream, string group, int read, int acknowledge)
    {
        var given = await Db.StreamReadGroupAsync(stream, group, "member", StreamPosition.NewMessages, read);
        Assert.Equal(read, given.Length);
        await Db.StreamAcknowledgeAsync(stream, group, [.. given.Take(acknowledge).Select(e => e.Id)]);
    }
}
