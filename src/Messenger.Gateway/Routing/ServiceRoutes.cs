using Yarp.ReverseProxy.Configuration;

namespace Messenger.Gateway.Routing;

/// <summary>
/// The public routes (DESIGN §1, the seed's paths exactly) and the service that answers each.
/// <c>/internal/*</c> and the services' health endpoints are deliberately absent. The gateway
/// authenticates nobody: each service validates the bearer token itself.
/// </summary>
public static class ServiceRoutes
{
    /// <summary>Service names, as in configuration <c>Services:{name}</c> (their base URLs).</summary>
    public static readonly IReadOnlyList<string> Services = ["auth", "user", "friendship", "chat", "notification"];

    // Auth's OAuth routes are listed exactly: /oauth/callback.html is the web client's redirect page.
    private static readonly (string Service, string[] Paths)[] Table =
    [
        ("auth", ["/register", "/login", "/oauth", "/oauth/providers", "/logout", "/token/{**rest}", "/sessions", "/sessions/{**rest}", "/account", "/.well-known/{**rest}"]),
        ("user", ["/user/{**rest}"]),
        ("friendship", ["/friends/{**rest}"]),
        ("chat", ["/chat", "/chat/{**rest}"]),
        ("notification", ["/notifications", "/notifications/{**rest}"]),
    ];

    public static IReadOnlyList<RouteConfig> Routes(string? rateLimiterPolicy)
    {
        var routes = new List<RouteConfig>();
        foreach (var (service, paths) in Table)
        {
            routes.AddRange(paths.Select((path, i) => new RouteConfig
            {
                RouteId = $"{service}-{i}",
                ClusterId = service,
                Match = new RouteMatch { Path = path },
                RateLimiterPolicy = rateLimiterPolicy,
            }));
        }

        // Each service's OpenAPI document, for the combined API reference.
        routes.AddRange(Services.Select(service => new RouteConfig
        {
            RouteId = $"{service}-openapi",
            ClusterId = service,
            Match = new RouteMatch { Path = $"/openapi/{service}.json" },
            Transforms = [new Dictionary<string, string> { ["PathSet"] = "/openapi/v1.json" }],
        }));
        return routes;
    }

    public static IReadOnlyList<ClusterConfig> Clusters(IReadOnlyDictionary<string, string> addresses) =>
    [
        .. Services.Select(service => new ClusterConfig
        {
            ClusterId = service,
            Destinations = new Dictionary<string, DestinationConfig>
            {
                [service] = new() { Address = addresses[service] },
            },
            HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig
            {
                // Long-lived streams (chat WebSockets, notification SSE) must not time out here.
                ActivityTimeout = TimeSpan.FromMinutes(10),
            },
        }),
    ];
}
