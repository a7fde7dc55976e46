using System.Globalization;
using System.Net.WebSockets;
using Chat.Tests.Infrastructure;
using Messenger.Testing;
using StackExchange.Redis;

namespace Chat.Tests;

/// <summary>
/// Frames between Chat instances go through Redis pub/sub, which keeps nothing for an instance whose
/// subscription is down. A client learns of a missed frame only from a later seq, so after Redis
/// comes back the instances close their sockets (1001) and the clients reconnect and sync. A slow
/// Redis delays frames instead of losing them; frames an instance had to drop get their recipients'
/// sockets closed the same way. Each test restarts or pauses Redis, so it gets servers of its own.
/// </summary>
public sealed class RedisOutageTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_a_Redis_restart_two_instances_close_their_sockets_with_1001_so_clients_sync_what_they_missed()
    {
        await using var chat = await TwoInstances.StartAsync();

        await chat.Servers.Redis.RestartAsync(Cancellation);

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await chat.Bob.Closed.WaitAsync(TimeSpan.FromSeconds(60), Cancellation));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await chat.Alice.Closed.WaitAsync(TimeSpan.FromSeconds(60), Cancellation));
    }

    [Fact]
    public async Task A_frame_Redis_takes_too_long_to_accept_still_reaches_the_recipient_on_another_instance()
    {
        await using var chat = await TwoInstances.StartAsync();

        // Longer than the client library waits for an answer (5 s): the first publish of the frame for Bob's instance times out.
        await chat.PauseRedisWritesAsync(TimeSpan.FromSeconds(8));
        await chat.Alice.SendAsync(new { type = "send", clientMessageId = Guid.NewGuid().ToString(), conversationId = chat.ConversationId, content = new { kind = "text", text = "during the pause" } });

        var message = await chat.Bob.WaitForAsync("message", f => f.GetProperty("message").GetProperty("content").GetProperty("text").GetString() == "during the pause");
        Assert.Equal(2, message.GetProperty("message").GetProperty("seq").GetInt64());
        Assert.Equal(WebSocketState.Open, chat.Bob.State);
    }

    [Fact]
    public async Task Frames_an_instance_had_to_drop_make_the_recipients_instance_close_their_sockets_so_they_sync()
    {
        // Alice's instance keeps one frame for the others while Redis is slow; more are dropped.
        await using var chat = await TwoInstances.StartAsync(new Dictionary<string, string?> { ["Chat:ForwardQueueFrames"] = "1" });

        await chat.PauseRedisWritesAsync(TimeSpan.FromSeconds(8));
        for (var i = 1; i <= 3; i++)
        {
            await chat.Alice.SendTextAsync(chat.ConversationId, $"during the pause {i}");
        }

        // Bob's client could not tell that the last of them never came: his socket is closed so that it syncs.
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await chat.Bob.Closed.WaitAsync(TimeSpan.FromSeconds(60), Cancellation));
        Assert.Equal(WebSocketState.Open, chat.Alice.State);
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

    /// <summary>
    /// Alice on a second Chat instance (with <c>settings</c>), Bob on the first, in one conversation
    /// whose first message has already crossed from one instance to the other.
    /// </summary>
    private sealed class TwoInstances : IAsyncDisposable
    {
        private TwoInstances(TestServers servers, ChatSystem system)
        {
            Servers = servers;
            System = system;
        }

        public TestServers Servers { get; }

        public ChatSystem System { get; }

        public ChatSocket Alice { get; private set; } = null!;

        public ChatSocket Bob { get; private set; } = null!;

        public Guid ConversationId { get; private set; }

        public static async Task<TwoInstances> StartAsync(IDictionary<string, string?>? settings = null)
        {
            var servers = new TestServers();
            await servers.InitializeAsync();
            var system = new ChatSystem(servers);
            var chat = new TwoInstances(servers, system);
            try
            {
                await system.InitializeAsync();
                var second = await system.StartChatAsync(settings);
                var alice = await system.NewUserAsync("alice");
                var bob = await system.NewUserAsync("bob");
                chat.ConversationId = await system.DirectAsync(alice, bob);
                chat.Alice = await system.ConnectAsync(alice, second);
                chat.Bob = await system.ConnectAsync(bob, system.Chat);
                // The instances know of each other once a frame crosses from one to the other.
                await chat.Alice.SendTextAsync(chat.ConversationId, "before the fault");
                await chat.Bob.WaitForAsync("message");
                return chat;
            }
            catch
            {
                await chat.DisposeAsync();
                throw;
            }
        }

        /// <summary>Redis holds every write (PUBLISH included) of every client for <paramref name="duration"/>.</summary>
        public async Task PauseRedisWritesAsync(TimeSpan duration)
        {
            await using var admin = await ConnectionMultiplexer.ConnectAsync(Servers.Redis.ConnectionString + ",allowAdmin=true");
            await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "WRITE");
        }

        public async ValueTask DisposeAsync()
        {
            if (Alice is not null)
            {
                await Alice.DisposeAsync();
            }

            if (Bob is not null)
            {
                await Bob.DisposeAsync();
            }

            await System.DisposeAsync();
            await Servers.DisposeAsync();
        }
    }
}
