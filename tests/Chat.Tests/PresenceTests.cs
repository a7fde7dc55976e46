using System.Collections.Concurrent;
using System.Text.Json;
using Chat.Tests.Infrastructure;
using Messenger.Contracts.Chat;
using Messenger.Testing;
using StackExchange.Redis;

namespace Chat.Tests;

/// <summary>Presence in Redis as Notification reads it (PresenceKeys): online count, last seen, the focused conversations.</summary>
public sealed class PresenceTests(ChatSystem system) : IClassFixture<ChatSystem>, IAsyncLifetime
{
    private ConnectionMultiplexer redis = null!;

    public async ValueTask InitializeAsync() => redis = await ConnectionMultiplexer.ConnectAsync(system.Servers.Redis.ConnectionString);

    public async ValueTask DisposeAsync() => await redis.DisposeAsync();

    private RedisKey Key(string name) => system.Auth.RedisPrefix + name;

    [Fact]
    public async Task Online_counts_connections_expires_and_announces_going_online_and_offline()
    {
        var alice = await system.NewUserAsync("alice");
        var changes = new ConcurrentQueue<JsonElement>();
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(system.Auth.RedisPrefix + PresenceKeys.ChangesChannel),
            (_, message) => changes.Enqueue(JsonDocument.Parse(message.ToString()).RootElement.Clone()));
        var db = redis.GetDatabase();

        await using (var phone = await system.ConnectAsync(alice))
        {
            await using (var laptop = await system.ConnectAsync(alice))
            {
                Assert.Equal(2, (long)await db.StringGetAsync(Key(PresenceKeys.Online(alice.UserId))));
                var ttl = await db.KeyTimeToLiveAsync(Key(PresenceKeys.Online(alice.UserId)));
                Assert.NotNull(ttl);
                Assert.InRange(ttl.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(90));
            }

            await Eventually.UntilAsync(async () => (long)await db.StringGetAsync(Key(PresenceKeys.Online(alice.UserId))) == 1, "one connection left");
        }

        await Eventually.UntilAsync(async () => !await db.KeyExistsAsync(Key(PresenceKeys.Online(alice.UserId))), "alice to go offline");
        Assert.True(long.TryParse((string?)await db.StringGetAsync(Key(PresenceKeys.LastSeen(alice.UserId))), out var lastSeen));
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(lastSeen), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));
        await Eventually.UntilAsync(() => changes.Count(c => c.GetProperty("userId").GetGuid() == alice.UserId) >= 2, "online and offline announcements");
        var mine = changes.Where(c => c.GetProperty("userId").GetGuid() == alice.UserId).ToList();
        Assert.Equal([true, false], mine.Select(c => c.GetProperty("online").GetBoolean()));
    }

    [Fact]
    public async Task Focus_and_blur_say_which_conversation_the_user_is_looking_at()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        var db = redis.GetDatabase();
        var viewing = Key(PresenceKeys.Viewing(alice.UserId));

        await using (var socket = await system.ConnectAsync(alice))
        {
            await socket.SendAsync(new { type = "focus", conversationId = conversation });
            await Eventually.UntilAsync(async () => await db.SetContainsAsync(viewing, conversation.ToString()), "the focus to be recorded");
            Assert.NotNull(await db.KeyTimeToLiveAsync(viewing));

            await socket.SendAsync(new { type = "blur", conversationId = conversation });
            await Eventually.UntilAsync(async () => !await db.SetContainsAsync(viewing, conversation.ToString()), "the blur to be recorded");

            await socket.SendAsync(new { type = "focus", conversationId = conversation });
            await Eventually.UntilAsync(async () => await db.SetContainsAsync(viewing, conversation.ToString()), "the focus to be recorded again");
            await socket.SendAsync(new { type = "focus", conversationId = Guid.NewGuid() });
            Assert.Equal("not_found", (await socket.WaitForAsync("error")).GetProperty("code").GetString());
        }

        // Closing the socket ends what it was looking at.
        await Eventually.UntilAsync(async () => !await db.SetContainsAsync(viewing, conversation.ToString()), "the focus to end with the socket");
    }
}
