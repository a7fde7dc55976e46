using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Messenger.Testing.Tests;

public sealed class RedisServerTests(TestServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Shared_server_stores_keys_under_a_prefix_no_other_test_uses()
    {
        var prefix = TestServers.NewRedisPrefix();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString);
        var database = redis.GetDatabase();

        await database.StringSetAsync(prefix + "greeting", "hello");

        Assert.Matches("^t-[0-9a-f]{8}:$", prefix);
        Assert.NotEqual(prefix, TestServers.NewRedisPrefix());
        Assert.Equal("hello", (string?)await database.StringGetAsync(prefix + "greeting"));
    }

    [Fact]
    public async Task Restart_keeps_stream_entries_written_before_the_stop()
    {
        await using var server = await RedisServer.StartAsync(Cancellation);
        var port = server.Port;
        RedisValue id;
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString))
        {
            id = await redis.GetDatabase().StreamAddAsync("chat.messages", [new("body", "kept")]);
        }

        await server.StopAsync(Cancellation);
        await Assert.ThrowsAsync<RedisConnectionException>(() =>
            ConnectionMultiplexer.ConnectAsync($"{server.ConnectionString},connectTimeout=1000,connectRetry=0"));

        await server.RestartAsync(Cancellation);
        await using var reconnected = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var entries = await reconnected.GetDatabase().StreamRangeAsync("chat.messages");

        Assert.Equal(port, server.Port);
        var entry = Assert.Single(entries);
        Assert.Equal(id, entry.Id);
        Assert.Equal("kept", (string?)entry["body"]);
    }

    [Fact]
    public async Task Restart_fails_with_a_clear_message_when_another_process_took_the_port()
    {
        await using var server = await RedisServer.StartAsync(Cancellation);
        await server.StopAsync(Cancellation);
        using var squatter = new TcpListener(IPAddress.Loopback, server.Port);
        squatter.Start();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => server.RestartAsync(Cancellation));

        Assert.Contains($"port {server.Port} was taken", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposed_server_stops_listening_and_leaves_no_folder()
    {
        var server = await RedisServer.StartAsync(Cancellation);
        var folder = Path.GetDirectoryName(server.LogPath)!;
        Assert.True(Directory.Exists(folder));

        await server.DisposeAsync();

        Assert.False(Directory.Exists(folder));
        await Assert.ThrowsAsync<RedisConnectionException>(() =>
            ConnectionMultiplexer.ConnectAsync($"{server.ConnectionString},connectTimeout=1000,connectRetry=0"));
    }

    [Fact]
    public async Task Server_given_by_connection_string_cannot_be_stopped_or_restarted()
    {
        await using var given = RedisServer.FromConnectionString($"{servers.Redis.ConnectionString},abortConnect=false");

        Assert.Equal(servers.Redis.Port, given.Port);
        await Assert.ThrowsAsync<NotSupportedException>(() => given.StopAsync(Cancellation));
        await Assert.ThrowsAsync<NotSupportedException>(() => given.RestartAsync(Cancellation));
    }
}
