using System.Security.Cryptography;
using Xunit;

namespace Messenger.Testing;

/// <summary>
/// One PostgreSQL and one Redis shared by every test in a test process. Test projects declare
/// <c>[assembly: AssemblyFixture(typeof(TestServers))]</c> and take it in their constructors.
/// Tests isolate themselves: each creates its own database
/// (<see cref="PostgresServer.CreateDatabaseAsync"/>) and uses its own Redis key prefix
/// (<see cref="NewRedisPrefix"/>). Tests that stop or restart a server start a private one.
/// </summary>
/// <remarks>
/// <c>MESSENGER_TEST_POSTGRES</c> (an Npgsql connection string of a superuser) and
/// <c>MESSENGER_TEST_REDIS</c> (a StackExchange.Redis configuration string) point the tests at
/// existing servers instead of starting processes.
/// </remarks>
public sealed class TestServers : IAsyncLifetime
{
    public const string PostgresVariable = "MESSENGER_TEST_POSTGRES";
    public const string RedisVariable = "MESSENGER_TEST_REDIS";

    private PostgresServer? postgres;
    private RedisServer? redis;

    public PostgresServer Postgres => postgres ?? throw NotStarted();

    public RedisServer Redis => redis ?? throw NotStarted();

    /// <summary>A key prefix no other test uses, e.g. <c>t-3f2a9c1b:</c>.</summary>
    public static string NewRedisPrefix() => $"t-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}:";

    public async ValueTask InitializeAsync()
    {
        var postgresStart = Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } postgresConnection
            ? Task.FromResult(PostgresServer.FromConnectionString(postgresConnection))
            : PostgresServer.StartAsync();
        var redisStart = Environment.GetEnvironmentVariable(RedisVariable) is { Length: > 0 } redisConnection
            ? Task.FromResult(RedisServer.FromConnectionString(redisConnection))
            : RedisServer.StartAsync();

        // Start both at once; if one fails, the other must not outlive the fixture.
        try
        {
            await Task.WhenAll(postgresStart, redisStart);
        }
        catch
        {
            if (postgresStart.IsCompletedSuccessfully)
            {
                await postgresStart.Result.DisposeAsync();
            }
            if (redisStart.IsCompletedSuccessfully)
            {
                await redisStart.Result.DisposeAsync();
            }
            throw;
        }
        postgres = postgresStart.Result;
        redis = redisStart.Result;
    }

    public async ValueTask DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }
    }

    private static InvalidOperationException NotStarted() =>
        new("TestServers has not been initialized; declare it with [assembly: AssemblyFixture(typeof(TestServers))].");
}
