using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messenger.AppHost.LocalServers;

internal static class LocalServer
{
    /// <summary>The name of every local server's TCP endpoint.</summary>
    public const string EndpointName = "tcp";

    /// <summary>
    /// A server process on a free loopback port, passed to it as <paramref name="portOption"/>,
    /// that is healthy once <paramref name="readinessCheck"/> says it takes requests.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddLocalServer(
        this IDistributedApplicationBuilder builder,
        string name,
        string command,
        string workingDirectory,
        string[] arguments,
        string portOption,
        Func<EndpointReference, TcpReadinessCheck> readinessCheck)
    {
        var server = builder.AddExecutable(name, command, workingDirectory, arguments)
            .WithEndpoint(name: EndpointName, scheme: "tcp", isProxied: false);
        var endpoint = server.GetEndpoint(EndpointName);
        server.WithArgs(context =>
        {
            context.Args.Add(portOption);
            context.Args.Add(endpoint.Property(EndpointProperty.TargetPort));
        });

        var healthCheckKey = name + "-ready";
        builder.Services.AddHealthChecks().AddCheck(healthCheckKey, readinessCheck(endpoint));
        return server.WithHealthCheck(healthCheckKey);
    }

    /// <summary>The server's port, for connection strings of the services.</summary>
    public static EndpointReferenceExpression Port(this IResourceBuilder<ExecutableResource> server) =>
        server.GetEndpoint(EndpointName).Property(EndpointProperty.TargetPort);
}
