using System.Net.WebSockets;
using Chat.Tests.Infrastructure;
using Messenger.Testing;

namespace Chat.Tests;

/// <summary>
/// Frames between Chat instances go through Redis pub/sub, which keeps nothing for an instance whose
/// subscription is down. A client learns of a missed frame only from a later seq, so after Redis
/// comes back the instances close their sockets (1001) and the clients reconnect and sync.
/// </summary>
public sealed class RedisOutageTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_a_Redis_restart_two_instances_close_their_sockets_with_1001_so_clients_sync_what_they_missed()
    {
        // This test restarts Redis, so it gets servers of its own.
        await using var servers = new TestServers();
        await servers.InitializeAsync();
        var system = new ChatSystem(servers);
        await system.InitializeAsync();
        try
        {
            var second = await system.StartChatAsync();
            var alice = await system.NewUserAsync("alice");
            var bob = await system.NewUserAsync("bob");
            var conversation = await system.DirectAsync(alice, bob);
            await using var aliceOnFirst = await system.ConnectAsync(alice, system.Chat);
            await using var bobOnSecond = await system.ConnectAsync(bob, second);
            // The instances know of each other once a frame crosses from one to the other.
            await aliceOnFirst.SendTextAsync(conversation, "before the outage");
            await bobOnSecond.WaitForAsync("message");

            await servers.Redis.RestartAsync(Cancellation);

            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await bobOnSecond.Closed.WaitAsync(TimeSpan.FromSeconds(60), Cancellation));
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await aliceOnFirst.Closed.WaitAsync(TimeSpan.FromSeconds(60), Cancellation));
        }
        finally
        {
            await system.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_single_instance_keeps_its_sockets_through_a_Redis_restart()
    {
        await using var servers = new TestServers();
        await servers.InitializeAsync();
        var system = new ChatSystem(servers);
        await system.InitializeAsync();
        try
        {
            var alice = await system.NewUserAsync("alice");
            var bob = await system.NewUserAsync("bob");
            var conversation = await system.DirectAsync(alice, bob);
            await using var aliceSocket = await system.ConnectAsync(alice);
            await using var bobSocket = await system.ConnectAsync(bob);

            await servers.Redis.RestartAsync(Cancellation);
            // Delivery on one instance never goes through Redis, so nothing was missed and nobody needs to reconnect.
            await aliceSocket.SendTextAsync(conversation, "after the restart");

            Assert.Equal("after the restart", (await bobSocket.WaitForAsync("message")).GetProperty("message").GetProperty("content").GetProperty("text").GetString());
            Assert.Equal(WebSocketState.Open, bobSocket.State);
        }
        finally
        {
            await system.DisposeAsync();
        }
    }
}
