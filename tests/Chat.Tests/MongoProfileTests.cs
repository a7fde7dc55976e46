using System.Net;
using Chat.Tests.Infrastructure;
using Messenger.Testing;

namespace Chat.Tests;

/// <summary>Chat in the MongoDB profile, wired end to end, while its MongoDB cannot be reached.</summary>
public sealed class MongoProfileTests(MongoProfileTests.UnreachableMongoSystem system) : IClassFixture<MongoProfileTests.UnreachableMongoSystem>
{
    public sealed class UnreachableMongoSystem(TestServers servers) : ChatSystem(servers)
    {
        protected override IDictionary<string, string?> ChatSettings => new Dictionary<string, string?>
        {
            ["Chat:Store"] = "mongodb",
            ["ConnectionStrings:mongodb"] = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300",
        };
    }

    [Fact]
    public async Task Without_its_message_database_Chat_is_not_ready_and_a_send_gets_unavailable_without_losing_the_socket()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var conversation = await system.DirectAsync(alice, bob);
        await using var socket = await system.ConnectAsync(alice);

        using var ready = await system.Chat.CreateClient().GetAsync("/health/ready", TestContext.Current.CancellationToken);
        await socket.SendAsync(new { type = "send", clientMessageId = "m-1", conversationId = conversation, content = new { kind = "text", text = "anyone?" } });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var error = await socket.WaitForAsync("error");
        Assert.Equal("unavailable", error.GetProperty("code").GetString());
        Assert.Equal("m-1", error.GetProperty("clientMessageId").GetString());
        await socket.SendAsync(new { type = "ping" });
        await socket.WaitForAsync("pong");
    }
}
