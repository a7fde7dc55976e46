using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Messenger.Gateway.Routing;

/// <summary>
/// Per-client limits at the door (section <c>Gateway:RateLimits</c>): a token bucket of requests
/// per client address, and a cap on concurrent long-lived connections (WebSockets, event streams)
/// per address. Services keep their own finer limits (logins, messages).
/// </summary>
public sealed class ClientRateLimitOptions
{
    public const string SectionName = "Gateway:RateLimits";
    public const string PolicyName = "per-client";

    public bool Enabled { get; set; } = true;

    [Range(1, 1_000_000)]
    public int RequestsPerSecond { get; set; } = 50;

    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 200;

    [Range(1, 1_000_000)]
    public int ConnectionsPerAddress { get; set; } = 64;
}

public static class ClientRateLimits
{
    public static IServiceCollection AddClientRateLimits(this IServiceCollection services, ClientRateLimitOptions limits) =>
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(ClientRateLimitOptions.PolicyName, context => Partition(context, limits));
            options.OnRejected = async (rejected, cancellationToken) =>
            {
                var http = rejected.HttpContext;
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                }
                else
                {
                    http.Response.Headers.RetryAfter = "1";
                }

                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = "This client sent too many requests or holds too many connections. Retry after the time in Retry-After.",
                    },
                });
            };
        });

    public static WebApplication UseClientRateLimits(this WebApplication app)
    {
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClientRateLimitOptions>>().Value.Enabled)
        {
            app.UseRateLimiter();
        }

        return app;
    }

    private static RateLimitPartition<string> Partition(HttpContext context, ClientRateLimitOptions limits)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (IsLongLived(context))
        {
            return RateLimitPartition.GetConcurrencyLimiter("connections:" + address, _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = limits.ConnectionsPerAddress,
                QueueLimit = 0,
            });
        }

        return RateLimitPartition.GetTokenBucketLimiter("requests:" + address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.Burst,
            TokensPerPeriod = limits.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    // The gateway relays upgrades without terminating them (no WebSocket middleware), so the
    // upgrade is recognised by its headers.
    private static bool IsLongLived(HttpContext context) =>
        context.Request.Headers.Upgrade.Any(u => string.Equals(u, "websocket", StringComparison.OrdinalIgnoreCase))
        || context.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true);
}
