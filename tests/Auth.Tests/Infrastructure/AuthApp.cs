using Messenger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Auth.Tests.Infrastructure;

/// <summary>
/// The Auth service on a real Kestrel port, with its own database on the test PostgreSQL server
/// and its own key prefix on the test Redis server.
/// </summary>
public class AuthApp(TestServers servers) : WebApplicationFactory<Program>, IAsyncLifetime
{
    private string? _database;

    public TestServers Servers => servers;

    public string RedisPrefix { get; } = TestServers.NewRedisPrefix();

    /// <summary>Configuration applied on top of the defaults; set before the app starts.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public Uri BaseAddress => ClientOptions.BaseAddress;

    public virtual async ValueTask InitializeAsync()
    {
        _database = await servers.Postgres.CreateDatabaseAsync("auth");
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        ClientOptions.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:auth", _database);
        builder.UseSetting("ConnectionStrings:redis", servers.Redis.ConnectionString);
        builder.UseSetting("Redis:KeyPrefix", RedisPrefix);
        builder.UseSetting("EventBus:Transport", "redis");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(ConfigureServices);
    }

    public new HttpClient CreateClient() =>
        CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = BaseAddress });

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
