using Messenger.Testing;
using Messenger.Testing.Services;

namespace Directory.Bench;

/// <summary>Auth and User on real ports over throwaway PostgreSQL and Redis servers, as the tests run them.</summary>
internal sealed class DirectorySystem : IAsyncDisposable
{
    private readonly TestEventLog eventLog;

    private DirectorySystem(TestEventLog eventLog, ServiceApp<Auth.Api.IApiMarker> auth, ServiceApp<User.Api.IApiMarker> users)
    {
        this.eventLog = eventLog;
        Auth = auth;
        Users = users;
    }

    public ServiceApp<Auth.Api.IApiMarker> Auth { get; }

    public ServiceApp<User.Api.IApiMarker> Users { get; }

    public string Transport => eventLog.Transport;

    public static async Task<DirectorySystem> StartAsync(TestServers servers, TestEventLog eventLog)
    {
        var auth = Quiet(eventLog.Configure(new ServiceApp<Auth.Api.IApiMarker>(servers, "auth")));
        await auth.InitializeAsync();
        var users = Quiet(eventLog.Configure(new ServiceApp<User.Api.IApiMarker>(servers, "users", auth.RedisPrefix).TrustingTokensOf(auth)));
        await users.InitializeAsync();
        return new DirectorySystem(eventLog, auth, users);
    }

    public async ValueTask DisposeAsync()
    {
        await Users.DisposeAsync();
        await Auth.DisposeAsync();
        eventLog.Dispose();
    }

    private static ServiceApp<T> Quiet<T>(ServiceApp<T> app) where T : class
    {
        app.Settings["Logging:LogLevel:Default"] = "Warning";
        // A fresh database makes EF Core log its first look for the migrations table as an error.
        app.Settings["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Critical";
        return app;
    }
}
