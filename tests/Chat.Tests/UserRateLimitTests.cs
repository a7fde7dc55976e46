using System.Text.Json;
using Chat.Tests.Infrastructure;

namespace Chat.Tests;

/// <summary>The per-user limit across connections: more sockets do not buy more writes.</summary>
public sealed class UserRateLimitTests(ChatSystem system) : IClassFixture<ChatSystem>
{
    [Fact]
    public async Task Three_sockets_of_one_user_under_their_own_limits_together_hit_the_users_limit_while_another_user_is_untouched()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        var sockets = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => system.ConnectAsync(alice)));
        await using var bobs = await system.ConnectAsync(bob);
        try
        {
            // 50 frames per socket stays under the connection's burst of 60; 150 is over the user's 120.
            await Task.WhenAll(sockets.Select((socket, s) => Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    await socket.SendAsync(new { type = "send", clientMessageId = $"alice-{s}-{i}", conversationId = conversation, content = new { kind = "text", text = "flood" } });
                }
            })));
            for (var i = 0; i < 50; i++)
            {
                await bobs.SendAsync(new { type = "send", clientMessageId = $"bob-{i}", conversationId = conversation, content = new { kind = "text", text = "calm" } });
            }

            var (acked, limited) = (0, 0);
            for (var s = 0; s < sockets.Length; s++)
            {
                for (var i = 0; i < 50; i++)
                {
                    var id = $"alice-{s}-{i}";
                    var answer = await sockets[s].WaitForAsync("ack", f => Answers(f, id), orType: "error");
                    if (answer.GetProperty("type").GetString() == "ack")
                    {
                        acked++;
                    }
                    else
                    {
                        Assert.Equal("rate_limited", answer.GetProperty("code").GetString());
                        limited++;
                    }
                }
            }

            for (var i = 0; i < 50; i++)
            {
                var id = $"bob-{i}";
                var answer = await bobs.WaitForAsync("ack", f => Answers(f, id), orType: "error");
                Assert.Equal("ack", answer.GetProperty("type").GetString());
            }

            Assert.True(limited > 0, $"All {acked} of alice's frames were accepted across three sockets.");
            Assert.Equal(150, acked + limited);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    private static bool Answers(JsonElement frame, string clientMessageId) =>
        frame.TryGetProperty("clientMessageId", out var id) && id.GetString() == clientMessageId;
}
