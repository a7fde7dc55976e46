using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Testing;
using Messenger.Testing.Services;
using Npgsql;

namespace Messenger.SecurityTests.Infrastructure;

/// <summary>
/// The whole messenger for the security tests, started once for the project: Auth, User, Friendship,
/// two Chat instances on one database, Notification and the gateway, on real ports, sharing one
/// Redis key prefix and the Redis Streams event log. Every service's log goes to <see cref="Logs"/>.
/// </summary>
/// <remarks>
/// The first Chat instance keeps the shipped per-connection and per-user message limits (the abuse
/// tests flood it); <see cref="FuzzChat"/> has them raised so that fuzzed frames reach validation
/// instead of stopping at the rate limit. Auth's per-address limits are lowered so a flood reaches
/// them in a few requests (each failed login costs a password hash).
/// </remarks>
public sealed class SecuritySystem : IAsyncLifetime
{
    public const int LoginFailuresPerAccount = 5;
    public const int LoginFailuresPerAddress = 20;
    public const int RegistrationsPerAddress = 5;

    private readonly List<IAsyncDisposable> apps = [];
    private readonly string blobDirectory = Path.Combine(Path.GetTempPath(), "messenger-security-" + Guid.NewGuid().ToString("N")[..8]);

    public TestServers Servers { get; } = new();

    public LogCapture Logs { get; } = new();

    public ServiceApp<Auth.Api.IApiMarker> Auth { get; private set; } = null!;

    public ServiceApp<User.Api.IApiMarker> Users { get; private set; } = null!;

    public ServiceApp<Friendship.Api.IApiMarker> Friendship { get; private set; } = null!;

    /// <summary>Chat with the shipped limits.</summary>
    public ServiceApp<Chat.Api.IApiMarker> Chat { get; private set; } = null!;

    /// <summary>A second Chat instance on the same database whose message limits are out of the way.</summary>
    public ServiceApp<Chat.Api.IApiMarker> FuzzChat { get; private set; } = null!;

    public ServiceApp<Notification.Api.IApiMarker> Notifications { get; private set; } = null!;

    public ServiceApp<Messenger.Gateway.IApiMarker> Gateway { get; private set; } = null!;

    public TokenForge Forge { get; private set; } = null!;

    /// <summary>The services whose routes the authorization matrix and the fuzzer read.</summary>
    public IReadOnlyList<ServiceUnderTest> Services { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        await Servers.InitializeAsync();
        Auth = await StartAsync(new ServiceApp<Auth.Api.IApiMarker>(Servers, "auth"), "auth", new()
        {
            ["LoginThrottle:MaxFailuresPerAccount"] = LoginFailuresPerAccount.ToString(),
            ["LoginThrottle:MaxFailuresPerAddress"] = LoginFailuresPerAddress.ToString(),
            ["RegistrationThrottle:MaxPerAddress"] = RegistrationsPerAddress.ToString(),
        });
        var prefix = Auth.RedisPrefix;
        Users = await StartAsync(new ServiceApp<User.Api.IApiMarker>(Servers, "users", prefix).TrustingTokensOf(Auth), "user", []);
        Friendship = await StartAsync(new ServiceApp<Friendship.Api.IApiMarker>(Servers, "friendships", prefix).TrustingTokensOf(Auth), "friendship", new()
        {
            ["Services:User"] = Users.BaseAddress.ToString(),
        });
        var attachments = new Dictionary<string, string?>
        {
            ["Chat:Attachments:Directory"] = Path.Combine(blobDirectory, "blobs"),
            ["Chat:Attachments:TempDirectory"] = Path.Combine(blobDirectory, "spool"),
        };
        Chat = await StartAsync(new ServiceApp<Chat.Api.IApiMarker>(Servers, "chat", prefix).TrustingTokensOf(Auth), "chat", attachments);
        FuzzChat = await StartAsync(new ServiceApp<Chat.Api.IApiMarker>(Servers, "chat", prefix).TrustingTokensOf(Auth), "chat-2", new(attachments)
        {
            ["ConnectionStrings:chat"] = Chat.DatabaseConnectionString,
            ["Chat:RateLimit:Burst"] = "1000000",
            ["Chat:RateLimit:PerSecond"] = "1000000",
        });
        Notifications = await StartAsync(new ServiceApp<Notification.Api.IApiMarker>(Servers, "notifications", prefix).TrustingTokensOf(Auth), "notification", new()
        {
            ["Notifications:Push:PollInterval"] = "00:00:00.200",
            ["Notifications:Push:InitialRetryDelay"] = "00:00:00.200",
        });
        Gateway = await StartAsync(new ServiceApp<Messenger.Gateway.IApiMarker>(Servers, null, prefix), "gateway", new()
        {
            ["Services:auth"] = Auth.BaseAddress.ToString(),
            ["Services:user"] = Users.BaseAddress.ToString(),
            ["Services:friendship"] = Friendship.BaseAddress.ToString(),
            ["Services:chat"] = Chat.BaseAddress.ToString(),
            ["Services:notification"] = Notifications.BaseAddress.ToString(),
        });

        Forge = new TokenForge(Auth);
        Services =
        [
            new("auth", Auth.Services, Auth.BaseAddress),
            new("user", Users.Services, Users.BaseAddress),
            new("friendship", Friendship.Services, Friendship.BaseAddress),
            new("chat", Chat.Services, Chat.BaseAddress),
            new("notification", Notifications.Services, Notifications.BaseAddress),
        ];
    }

    private async Task<ServiceApp<T>> StartAsync<T>(ServiceApp<T> app, string name, Dictionary<string, string?> settings) where T : class
    {
        // Producers' relays and consumers retry quickly, so an eventual effect shows within a test.
        app.Settings["EventBus:Outbox:MaxBackoff"] = "00:00:01";
        app.Settings["EventBus:Consumer:MaxRetryDelay"] = "00:00:01";
        app.Settings["EventBus:Consumer:InitialRetryDelay"] = "00:00:00.050";
        foreach (var (key, value) in settings)
        {
            app.Settings[key] = value;
        }

        app.TestServices = Logs.For(name);
        apps.Add(app);
        await app.InitializeAsync();
        return app;
    }

    /// <summary>
    /// Registers a user (from loopback, or as <paramref name="clientAddress"/> forwarded by a trusted
    /// proxy) and waits until User and Chat know them. Their token and password are watched in the logs.
    /// </summary>
    public async Task<Tokens> NewUserAsync(string stem, string? clientAddress = null)
    {
        using var client = Auth.CreateClient();
        if (clientAddress is not null)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", clientAddress);
        }

        var tokens = await client.RegisterAsync(AuthClient.NewUsername(stem));
        Watch(tokens);
        await UntilKnownAsync(tokens);
        return tokens;
    }

    /// <summary>Signs the user in again: a second session.</summary>
    public async Task<Tokens> LoginAsync(Tokens user)
    {
        var tokens = await Auth.CreateClient().LoginAsync(user.Username);
        Watch(tokens);
        return tokens;
    }

    public void Watch(Tokens tokens)
    {
        Logs.Watch(tokens.AccessToken, $"access token of {tokens.Username}");
        Logs.Watch(tokens.RefreshToken, $"refresh token of {tokens.Username}");
        Logs.Watch(AuthClient.Password, "the test users' password");
    }

    public async Task UntilKnownAsync(Tokens user)
    {
        await Eventually.UntilAsync(async () =>
        {
            using var response = await Users.CreateClient(user.AccessToken).GetAsync("/user/" + user.Username, TestContext.Current.CancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }, $"User to know {user.Username}");
        await Eventually.UntilAsync(async () => await CountAsync(Chat.DatabaseConnectionString!, "SELECT count(*) FROM users WHERE id = $1", user.UserId) == 1,
            $"Chat to know {user.Username}");
    }

    public async Task<Guid> DirectConversationAsync(Tokens me, Tokens other)
    {
        using var response = await Chat.CreateClient(me.AccessToken).PostAsJsonAsync("/chat", new { type = "direct", userId = other.UserId }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"Opening a direct conversation answered {(int)response.StatusCode}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("conversationId").GetGuid();
    }

    public async Task<Guid> GroupAsync(Tokens owner, string title, params Tokens[] members)
    {
        using var response = await Chat.CreateClient(owner.AccessToken).PostAsJsonAsync("/chat",
            new { type = "group", title, memberIds = members.Select(m => m.UserId) }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("conversationId").GetGuid();
    }

    /// <summary>Sends a text message over HTTP and returns the stored message's id.</summary>
    public async Task<Guid> SendAsync(Tokens sender, Guid conversationId, string text)
    {
        using var response = await Chat.CreateClient(sender.AccessToken).PostAsJsonAsync($"/chat/{conversationId}/messages",
            new { clientMessageId = Guid.NewGuid().ToString(), content = new { kind = "text", text } }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("messageId").GetGuid();
    }

    public static async Task<long> CountAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(apps))
        {
            await app.DisposeAsync();
        }

        await Servers.DisposeAsync();
        if (Directory.Exists(blobDirectory))
        {
            Directory.Delete(blobDirectory, recursive: true);
        }
    }
}

/// <summary>A running service: its name, its DI container (for its endpoints) and its address.</summary>
public sealed record ServiceUnderTest(string Name, IServiceProvider Services, Uri BaseAddress);
