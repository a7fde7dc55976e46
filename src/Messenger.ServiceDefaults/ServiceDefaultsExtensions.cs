using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using System.Text.Json.Serialization;

namespace Messenger.ServiceDefaults;

/// <summary>
/// What every messenger service shares. A service's <c>Program.cs</c> calls
/// <see cref="AddServiceDefaults"/> first and <see cref="MapDefaultEndpoints"/> last.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();

        // "Request starting GET /chat?access_token=…": WebSocket and event-stream clients carry their
        // token in the query, and this category logs the whole URL. Traces record the request
        // (with the query redacted), so nothing is lost by keeping it to warnings.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Retrying a POST could repeat its effect (or burn a one-time OAuth code); only safe
            // methods are retried. Timeouts and the circuit breaker apply to all.
            http.AddStandardResilienceHandler(options => options.Retry.DisableForUnsafeHttpMethods());
            http.AddServiceDiscovery();
        });

        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });

        // JSON APIs need little; a larger body is refused with 413 before it is buffered.
        // Upload endpoints raise the limit for themselves.
        var maxBody = builder.Configuration.GetValue<long?>("Http:MaxRequestBodyBytes") ?? 1024 * 1024;
        builder.Services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = maxBody);

        builder.AddProblemDetailsForEveryError();
        builder.Services.AddOpenApiWithBearer();
        builder.Services.AddRequestTimeouts();

        // The gateway on loopback forwards the client's address; KnownProxies defaults to loopback,
        // so a remote client cannot spoof it.
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
        return builder;
    }

    /// <summary>Maps <c>/health/live</c>, <c>/health/ready</c> and <c>/openapi/v1.json</c>.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) })
            .DisableHttpMetrics().AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync })
            .DisableHttpMetrics().AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        return app;
    }

    /// <summary>
    /// The middleware every service runs before its routes: problem details for exceptions and
    /// bare status codes, then authentication and authorization.
    /// </summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // The gateway authenticates nobody; every service does.
        if (app.Services.GetService<IAuthenticationSchemeProvider>() is not null)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        app.UseRequestTimeouts();
        return app;
    }
}
