using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Messenger.Testing.Services;

/// <summary>
/// One messenger service on a real Kestrel port (so HTTP and WebSocket tests cross real sockets),
/// with its own database on the shared test PostgreSQL server and a Redis key prefix on the shared
/// test Redis server. Services of one test system share the prefix, so they see each other's
/// events and session revocations and nobody else's.
/// </summary>
/// <typeparam name="TEntryPoint">Any public type of the service's assembly, conventionally its <c>IApiMarker</c>.</typeparam>
public class ServiceApp<TEntryPoint> : WebApplicationFactory<TEntryPoint>, IAsyncLifetime
    where TEntryPoint : class
{
    private readonly string? _databaseName;
    private Uri? _baseAddress;

    /// <param name="servers">The shared servers of the test run.</param>
    /// <param name="databaseName">The service's connection-string name (its database), or null when it has none.</param>
    /// <param name="redisPrefix">The test system's key prefix; a fresh one when null.</param>
    public ServiceApp(TestServers servers, string? databaseName, string? redisPrefix = null)
    {
        Servers = servers;
        _databaseName = databaseName;
        RedisPrefix = redisPrefix ?? TestServers.NewRedisPrefix();
    }

    public TestServers Servers { get; }

    public string RedisPrefix { get; }

    /// <summary>The service's own database; set once the app started.</summary>
    public string? DatabaseConnectionString { get; private set; }

    /// <summary>Configuration on top of the defaults (event transport <c>redis</c>); set before the app starts.</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    /// <summary>Replaces services before the app starts (e.g. a fake clock).</summary>
    public Action<IServiceCollection>? TestServices { get; set; }

    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("The app has not started; await InitializeAsync first.");

    /// <summary>Points the service at <paramref name="auth"/> for token validation (its discovery document).</summary>
    public ServiceApp<TEntryPoint> TrustingTokensOf<TAuth>(ServiceApp<TAuth> auth) where TAuth : class
    {
        Settings["Jwt:Authority"] = auth.BaseAddress.ToString().TrimEnd('/');
        return this;
    }

    public virtual async ValueTask InitializeAsync()
    {
        if (_databaseName is not null && !Settings.ContainsKey($"ConnectionStrings:{_databaseName}"))
        {
            DatabaseConnectionString = await Servers.Postgres.CreateDatabaseAsync(_databaseName);
        }

        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _baseAddress = new Uri(address);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        if (DatabaseConnectionString is not null)
        {
            builder.UseSetting($"ConnectionStrings:{_databaseName}", DatabaseConnectionString);
        }

        builder.UseSetting("ConnectionStrings:redis", Servers.Redis.ConnectionString);
        builder.UseSetting("Redis:KeyPrefix", RedisPrefix);
        builder.UseSetting("EventBus:Transport", "redis");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        if (TestServices is not null)
        {
            builder.ConfigureTestServices(TestServices);
        }
    }

    /// <summary>A client of the real socket that does not follow redirects.</summary>
    public new HttpClient CreateClient() =>
        CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = BaseAddress });

    /// <summary>A client that sends <paramref name="accessToken"/> as its bearer token.</summary>
    public HttpClient CreateClient(string accessToken)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", accessToken);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
