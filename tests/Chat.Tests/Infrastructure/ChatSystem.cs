using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Contracts;
using Messenger.EventBus.Outbox;
using Messenger.EventBus.Transport;
using Messenger.Testing;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Chat.Tests.Infrastructure;

/// <summary>The Chat service on a real port.</summary>
public sealed class ChatApp(TestServers servers, string? redisPrefix = null) : ServiceApp<Chat.Api.IApiMarker>(servers, "chat", redisPrefix);

/// <summary>The Auth service that issues the test users' tokens.</summary>
public sealed class AuthApp(TestServers servers, string? redisPrefix = null) : ServiceApp<Auth.Api.IApiMarker>(servers, "auth", redisPrefix);

/// <summary>
/// A small messenger: Auth (issues tokens, announces users) and Chat (learns users from the event
/// log), sharing one Redis key prefix, on the Redis Streams event log unless a subclass says otherwise.
/// </summary>
public class ChatSystem(TestServers servers) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> extraApps = [];

    public TestServers Servers { get; } = servers;

    public AuthApp Auth { get; private set; } = null!;

    public ChatApp Chat { get; private set; } = null!;

    /// <summary>Settings both services get (e.g. the event transport).</summary>
    protected virtual IDictionary<string, string?> SharedSettings => new Dictionary<string, string?>();

    /// <summary>Settings Chat gets on top (e.g. rate limits).</summary>
    protected virtual IDictionary<string, string?> ChatSettings => new Dictionary<string, string?>();

    public virtual async ValueTask InitializeAsync()
    {
        Auth = new AuthApp(Servers);
        foreach (var (key, value) in SharedSettings)
        {
            Auth.Settings[key] = value;
        }

        await Auth.InitializeAsync();
        Chat = await StartChatAsync();
    }

    /// <summary>Starts a Chat instance; later ones share the first one's database (several instances of one service).</summary>
    public async Task<ChatApp> StartChatAsync(IDictionary<string, string?>? settings = null)
    {
        var chat = new ChatApp(Servers, Auth.RedisPrefix);
        chat.TrustingTokensOf(Auth);
        foreach (var (key, value) in SharedSettings.Concat(ChatSettings).Concat(settings ?? new Dictionary<string, string?>()))
        {
            chat.Settings[key] = value;
        }

        if (Chat is not null)
        {
            chat.Settings["ConnectionStrings:chat"] = Chat.DatabaseConnectionString;
            extraApps.Add(chat);
        }

        await chat.InitializeAsync();
        return chat;
    }

    /// <summary>Registers a user with Auth and waits until Chat has learnt about them from the event log.</summary>
    public async Task<Tokens> NewUserAsync(string stem = "user")
    {
        var tokens = await Auth.CreateClient().RegisterAsync(AuthClient.NewUsername(stem));
        await WaitUntilChatKnowsAsync(tokens.UserId);
        return tokens;
    }

    public async Task<Tokens[]> NewUsersAsync(int count, string stem = "user")
    {
        var users = new List<Tokens>();
        foreach (var batch in Enumerable.Range(0, count).Chunk(10))
        {
            users.AddRange(await Task.WhenAll(batch.Select(_ => Auth.CreateClient().RegisterAsync(AuthClient.NewUsername(stem)))));
        }

        await WaitUntilChatKnowsAsync([.. users.Select(u => u.UserId)]);
        return [.. users];
    }

    private async Task WaitUntilChatKnowsAsync(params Guid[] userIds)
    {
        await using var connection = new NpgsqlConnection(Chat.DatabaseConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await Eventually.UntilAsync(async () =>
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM users WHERE id = ANY($1)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = userIds });
            return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))! == userIds.Length;
        }, "Chat to learn about the new users from UserRegistered");
    }

    public HttpClient Client(Tokens user) => Chat.CreateClient(user.AccessToken);

    public Task<ChatSocket> ConnectAsync(Tokens user, ChatApp? instance = null) => ChatSocket.ConnectAsync(instance ?? Chat, user.AccessToken);

    /// <summary>Opens (or finds) the direct conversation of two users; returns its id.</summary>
    public async Task<Guid> DirectAsync(Tokens me, Tokens other)
    {
        using var response = await Client(me).PostAsJsonAsync("/chat", new { type = "direct", userId = other.UserId }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"Opening a direct conversation answered {(int)response.StatusCode}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("conversationId").GetGuid();
    }

    public async Task<Guid> GroupAsync(Tokens owner, string title, params Tokens[] members)
    {
        using var response = await Client(owner).PostAsJsonAsync("/chat",
            new { type = "group", title, memberIds = members.Select(m => m.UserId) }, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("conversationId").GetGuid();
    }

    /// <summary>Puts an event on the event log as its producing service would (e.g. User's UserBlocked).</summary>
    public Task PublishAsync<TEvent>(TEvent @event) where TEvent : IIntegrationEvent
    {
        var row = OutboxWriter.CreateRow(@event);
        return Chat.Services.GetRequiredService<IEventPublisherTransport>()
            .PublishAsync([new TransportMessage(row.Topic, row.Key, row.EventId, row.Type, row.Payload)], TestContext.Current.CancellationToken);
    }

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var app in extraApps)
        {
            await app.DisposeAsync();
        }

        if (Chat is not null)
        {
            await Chat.DisposeAsync();
        }

        if (Auth is not null)
        {
            await Auth.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
