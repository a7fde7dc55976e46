using Messenger.Gateway.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.FileProviders;

namespace Messenger.Gateway;

public static class GatewayExtensions
{
    /// <summary>The reverse proxy to the five services, per-client limits and upstream health.</summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        var addresses = ServiceRoutes.Services.ToDictionary(
            service => service,
            service => builder.Configuration[$"Services:{service}"]
                ?? throw new InvalidOperationException(
                    $"Services:{service} is not set. Set it (environment variable Services__{service}) to the service's base URL, e.g. http://localhost:5101."));

        var limits = builder.Configuration.GetSection(ClientRateLimitOptions.SectionName).Get<ClientRateLimitOptions>() ?? new();
        builder.Services.AddOptions<ClientRateLimitOptions>().BindConfiguration(ClientRateLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        if (limits.Enabled)
        {
            builder.Services.AddClientRateLimits(limits);
        }

        builder.Services.AddReverseProxy().LoadFromMemory(
            ServiceRoutes.Routes(limits.Enabled ? ClientRateLimitOptions.PolicyName : null),
            ServiceRoutes.Clusters(addresses));

        var health = builder.Services.AddHealthChecks();
        foreach (var (service, address) in addresses)
        {
            // A service that is down degrades the gateway but does not take the other routes with it.
            health.Add(new HealthCheckRegistration(
                service,
                sp => new UpstreamHealthCheck(sp.GetRequiredService<IHttpClientFactory>(), new Uri(new Uri(address), "/health/live")),
                HealthStatus.Degraded,
                tags: null,
                timeout: TimeSpan.FromSeconds(3)));
        }

        builder.Services.AddHttpClient(UpstreamHealthCheck.HttpClientName);
        return builder;
    }

    /// <summary>Serves the web client's static files from <c>Gateway:WebRoot</c> (default <c>wwwroot</c>).</summary>
    public static WebApplication UseWebClient(this WebApplication app)
    {
        var configured = app.Configuration["Gateway:WebRoot"] ?? "wwwroot";
        var root = Path.GetFullPath(Path.Combine(app.Environment.ContentRootPath, configured));
        if (!Directory.Exists(root))
        {
            app.Logger.LogWarning("The web client folder {WebRoot} does not exist; only the API is served", root);
            return app;
        }

        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            // The client is small and changes with each release: always revalidate.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }
}

/// <summary>Asks one service whether it is alive.</summary>
internal sealed class UpstreamHealthCheck(IHttpClientFactory httpClients, Uri liveness) : IHealthCheck
{
    public const string HttpClientName = "upstream-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).GetAsync(liveness, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, $"{liveness} answered {(int)response.StatusCode}");
        }
        catch (HttpRequestException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{liveness} is unreachable: {ex.Message}");
        }
    }
}
