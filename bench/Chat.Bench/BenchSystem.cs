using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Testing;
using Messenger.Testing.Services;
using Npgsql;

namespace Chat.Bench;

/// <summary>Auth and Chat on real ports over throwaway PostgreSQL and Redis servers, as the tests run them.</summary>
internal sealed class BenchSystem : IAsyncDisposable
{
    private readonly TestServers servers;
    private readonly ServiceApp<Auth.Api.IApiMarker> auth;
    private readonly ServiceApp<Chat.Api.IApiMarker> chat;

    private BenchSystem(TestServers servers, ServiceApp<Auth.Api.IApiMarker> auth, ServiceApp<Chat.Api.IApiMarker> chat)
    {
        this.servers = servers;
        this.auth = auth;
        this.chat = chat;
    }

    public PostgresServer Postgres => servers.Postgres;

    public static async Task<BenchSystem> StartAsync()
    {
        var servers = new TestServers();
        await servers.InitializeAsync();
        var auth = new ServiceApp<Auth.Api.IApiMarker>(servers, "auth");
        auth.Settings["Logging:LogLevel:Default"] = "Warning";
        await auth.InitializeAsync();
        var chat = new ServiceApp<Chat.Api.IApiMarker>(servers, "chat", auth.RedisPrefix).TrustingTokensOf(auth);
        chat.Settings["Logging:LogLevel:Default"] = "Warning";
        // The benchmark is one client sending as fast as it is told to.
        chat.Settings["Chat:RateLimit:Burst"] = "1000000";
        chat.Settings["Chat:RateLimit:PerSecond"] = "1000000";
        chat.Settings["Chat:OutgoingQueueFrames"] = "1000000";
        await chat.InitializeAsync();
        return new BenchSystem(servers, auth, chat);
    }

    /// <summary>Two users, their direct conversation, a sending socket for one and a receiving socket for the other.</summary>
    public async Task<BenchConversation> OpenConversationAsync()
    {
        var users = await RegisterAsync(2);
        var (alice, bob) = (users[0], users[1]);

        using var response = await chat.CreateClient(alice.AccessToken).PostAsJsonAsync("/chat", new { type = "direct", userId = bob.UserId });
        response.EnsureSuccessStatusCode();
        var conversationId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("conversationId").GetGuid();
        var sender = await BenchSocket.ConnectAsync(chat.BaseAddress, alice.AccessToken);
        var receiver = await BenchSocket.ConnectAsync(chat.BaseAddress, bob.AccessToken);
        return new BenchConversation(conversationId, sender, receiver);
    }

    /// <summary><paramref name="pairs"/> direct conversations, each with its sender's and its recipient's socket.</summary>
    public async Task<IReadOnlyList<BenchConversation>> OpenConversationsAsync(int pairs)
    {
        var conversations = new List<BenchConversation>();
        foreach (var chunk in Enumerable.Range(0, pairs).Chunk(10))
        {
            conversations.AddRange(await Task.WhenAll(chunk.Select(_ => OpenConversationAsync())));
        }

        return conversations;
    }

    private async Task<Tokens[]> RegisterAsync(int count)
    {
        var users = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => auth.CreateClient().RegisterAsync(AuthClient.NewUsername("user"))));
        await using var connection = new NpgsqlConnection(chat.DatabaseConnectionString);
        await connection.OpenAsync();
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM users WHERE id = ANY($1)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = users.Select(u => u.UserId).ToArray() });
            if ((long)(await command.ExecuteScalarAsync())! == count)
            {
                return users;
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await chat.DisposeAsync();
        await auth.DisposeAsync();
        await servers.DisposeAsync();
    }
}

internal sealed record BenchConversation(Guid ConversationId, BenchSocket Sender, BenchSocket Receiver);
