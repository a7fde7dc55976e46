using System.Security.Claims;
using Messenger.ServiceDefaults;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Auth.Tests.Infrastructure;

/// <summary>
/// A minimal service built only from ServiceDefaults, the way every other messenger service
/// authenticates: keys from Auth's discovery document, revocations from Redis.
/// </summary>
public sealed class ServiceLikeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServiceLikeHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<ServiceLikeHost> StartAsync(AuthApp auth)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:redis"] = auth.Servers.Redis.ConnectionString;
        builder.Configuration["Redis:KeyPrefix"] = auth.RedisPrefix;
        builder.Configuration["Jwt:Authority"] = auth.BaseAddress.ToString().TrimEnd('/');
        builder.AddServiceDefaults();
        builder.AddMessengerRedis();
        builder.AddMessengerAuthentication();

        var app = builder.Build();
        app.UseServiceDefaults();
        app.MapGet("/whoami", (ClaimsPrincipal user) => new
        {
            userId = user.GetUserId(),
            username = user.GetUsername(),
            sessionId = user.GetSessionId(),
        });
        await app.StartAsync();
        var address = app.Urls.First();
        return new ServiceLikeHost(app, new Uri(address));
    }

    public HttpClient CreateClient(string? accessToken = null)
    {
        var client = new HttpClient { BaseAddress = Address };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", accessToken);
        }

        return client;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
