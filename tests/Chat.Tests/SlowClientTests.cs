using System.Net.Http.Json;
using System.Net.WebSockets;
using Chat.Tests.Infrastructure;
using Messenger.Contracts.Chat;
using Messenger.Testing;
using StackExchange.Redis;

namespace Chat.Tests;

/// <summary>A client that stops reading is cut off instead of growing the server's memory; it resyncs by seq.</summary>
public sealed class SlowClientTests(SlowClientTests.ShortQueueSystem system) : IClassFixture<SlowClientTests.ShortQueueSystem>
{
    public sealed class ShortQueueSystem(TestServers servers) : ChatSystem(servers)
    {
        protected override IDictionary<string, string?> ChatSettings => new Dictionary<string, string?> { ["Chat:OutgoingQueueFrames"] = "16" };
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_and_can_resync_everything()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        using var stalled = new ClientWebSocket();
        await stalled.ConnectAsync(new Uri($"ws://{system.Chat.BaseAddress.Authority}/chat?access_token={bob.AccessToken}"), TestContext.Current.CancellationToken);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(system.Servers.Redis.ConnectionString);
        var online = (RedisKey)(system.Auth.RedisPrefix + PresenceKeys.Online(bob.UserId));
        var text = new string('x', 4_000);
        var sent = 0;

        // Bob never reads: the socket buffers fill, then his queue, then the server lets him go.
        await Eventually.UntilAsync(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                using var response = await system.Client(alice).PostAsJsonAsync($"/chat/{conversation}/messages",
                    new { clientMessageId = "bulk-" + sent++, content = new { kind = "text", text } }, TestContext.Current.CancellationToken);
                response.EnsureSuccessStatusCode();
            }

            return !await redis.GetDatabase().KeyExistsAsync(online);
        }, "the stalled socket to be dropped", TimeSpan.FromSeconds(60));

        await using var back = await system.ConnectAsync(bob);
        var lastSeq = 0L;
        bool more;
        do
        {
            await back.SendAsync(new { type = "sync", conversationId = conversation, afterSeq = lastSeq });
            var synced = await back.WaitForAsync("synced", f => f.GetProperty("afterSeq").GetInt64() == lastSeq);
            lastSeq = synced.GetProperty("lastSeq").GetInt64();
            more = synced.GetProperty("hasMore").GetBoolean();
        }
        while (more);

        Assert.Equal(sent, lastSeq);
        Assert.Equal(Enumerable.Range(1, sent).Select(i => (long)i), back.MessagesIn(conversation).Select(m => m.GetProperty("seq").GetInt64()));
    }
}
