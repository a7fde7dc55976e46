using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Messenger.ServiceDefaults.Redis;

public static class RedisExtensions
{
    public const string ConnectionName = "redis";

    /// <summary>
    /// Registers one shared <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings:redis</c>,
    /// the <see cref="RedisKeyspace"/> (prefix from <c>Redis:KeyPrefix</c>) and a readiness check.
    /// </summary>
    public static TBuilder AddMessengerRedis<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetRequiredConnectionString(ConnectionName,
            "a StackExchange.Redis configuration string such as 127.0.0.1:6379");
        var keyspace = new RedisKeyspace(builder.Configuration["Redis:KeyPrefix"] ?? "");

        builder.Services.AddSingleton(keyspace);
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(connectionString);
            // Keep retrying in the background: a Redis restart must not need a service restart.
            options.AbortOnConnectFail = false;
            options.ClientName ??= builder.Environment.ApplicationName;
            if (keyspace.Prefix.Length > 0)
            {
                options.ChannelPrefix = RedisChannel.Literal(keyspace.Prefix);
            }

            return ConnectionMultiplexer.Connect(options);
        });
        builder.Services.AddHealthChecks().AddRedis(sp => sp.GetRequiredService<IConnectionMultiplexer>(), "redis");
        return builder;
    }
}

/// <summary>
/// The prefix of every key and channel this deployment uses, so several deployments (or test
/// runs) can share one Redis server without seeing each other's data.
/// </summary>
public sealed record RedisKeyspace(string Prefix)
{
    public RedisKey Key(string name) => new(Prefix + name);

    /// <summary>Keys inside Lua scripts and streams read by name need the prefix spelt out.</summary>
    public string Name(string name) => Prefix + name;
}
