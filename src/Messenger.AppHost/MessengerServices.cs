using Messenger.AppHost.LocalServers;
using Microsoft.Extensions.Configuration;

namespace Messenger.AppHost;

/// <summary>
/// Adds messenger services as projects with what every one of them needs: its database on the
/// local PostgreSQL, the local Redis (cache, presence and, in the single-node profile, the event
/// log as Redis Streams), the token authority, a stable port and a readiness check.
/// </summary>
internal sealed class MessengerServices(
    IDistributedApplicationBuilder builder,
    IResourceBuilder<ExecutableResource> postgres,
    IResourceBuilder<ExecutableResource> redis)
{
    public const string GatewayPortVariable = "MESSENGER_PORT";
    private const int DefaultGatewayPort = 8080;

    private readonly List<IResourceBuilder<ProjectResource>> services = [];
    private EndpointReference? authority;

    /// <summary>The gateway's port: 8080 unless <c>MESSENGER_PORT</c> says otherwise.</summary>
    public int GatewayPort =>
        int.TryParse(builder.Configuration[GatewayPortVariable], out var port) ? port : DefaultGatewayPort;

    /// <summary>Adds the service that issues tokens; every service, itself included, validates tokens with its keys.</summary>
    public IResourceBuilder<ProjectResource> AddAuthority<TProject>(string name, int port, string? database = null)
        where TProject : IProjectMetadata, new()
    {
        if (authority is not null)
        {
            throw new InvalidOperationException("The token authority has already been added.");
        }

        var service = builder.AddProject<TProject>(name).WithEndpoint("http", endpoint => endpoint.Port = port);
        authority = service.GetEndpoint("http");
        return Configure(service, database);
    }

    /// <summary>Adds a service on its stable local <paramref name="port"/>, with its own database when it has one.</summary>
    public IResourceBuilder<ProjectResource> AddService<TProject>(string name, int port, string? database = null)
        where TProject : IProjectMetadata, new()
    {
        if (authority is null)
        {
            throw new InvalidOperationException("Add the token authority (Auth) before the services that validate its tokens.");
        }

        return Configure(builder.AddProject<TProject>(name).WithEndpoint("http", endpoint => endpoint.Port = port), database);
    }

    /// <summary>
    /// Adds the gateway on <see cref="GatewayPort"/>: the one public origin, routing to every service
    /// added before it (each by its resource name, as <c>Services__{name}</c>) and serving the web client.
    /// </summary>
    public IResourceBuilder<ProjectResource> AddGateway<TProject>(string name)
        where TProject : IProjectMetadata, new()
    {
        var gateway = builder.AddProject<TProject>(name)
            .WithEndpoint("http", endpoint => endpoint.Port = GatewayPort)
            .WithHttpHealthCheck("/health/ready");
        foreach (var service in services)
        {
            gateway.WithEnvironment("Services__" + service.Resource.Name, service.GetEndpoint("http")).WaitFor(service);
        }

        return gateway;
    }

    private IResourceBuilder<ProjectResource> Configure(IResourceBuilder<ProjectResource> service, string? database)
    {
        services.Add(service);
        var redisPort = redis.Port();
        service
            .WithEnvironment("ConnectionStrings__redis", ReferenceExpression.Create($"127.0.0.1:{redisPort}"))
            .WithEnvironment("Jwt__Authority", authority!)
            .WithHttpHealthCheck("/health/ready")
            .WaitFor(postgres)
            .WaitFor(redis);

        foreach (var (name, value) in EventBusSettings())
        {
            service.WithEnvironment(name, value);
        }

        if (database is not null)
        {
            var postgresPort = postgres.Port();
            var prefix = "Host=127.0.0.1;Port=";
            var suffix = ";Username=" + LocalPostgres.SuperUser + ";Database=" + database;
            service.WithEnvironment("ConnectionStrings__" + database, ReferenceExpression.Create($"{prefix}{postgresPort}{suffix}"));
        }

        return service;
    }

    /// <summary>
    /// The event log every service uses: Redis Streams on the local Redis unless the app host's
    /// <c>Messenger:EventBus</c> section says otherwise, e.g. <c>--Messenger:EventBus:Transport=kafka
    /// --Messenger:EventBus:Kafka:BootstrapServers=host:9092</c> for a Kafka whose topics exist. Every
    /// key of the section reaches the services as their <c>EventBus</c> setting of the same name.
    /// </summary>
    private IEnumerable<(string Name, string Value)> EventBusSettings()
    {
        var settings = builder.Configuration.GetSection("Messenger:EventBus").AsEnumerable(makePathsRelative: true)
            .Where(setting => setting.Value is not null)
            .ToDictionary(setting => setting.Key, setting => setting.Value!, StringComparer.OrdinalIgnoreCase);
        settings.TryAdd("Transport", "redis");
        return settings.Select(setting => ("EventBus__" + setting.Key.Replace(":", "__", StringComparison.Ordinal), setting.Value));
    }
}
