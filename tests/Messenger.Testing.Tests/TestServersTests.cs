namespace Messenger.Testing.Tests;

public sealed class TestServersTests(TestServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Environment_variables_point_the_shared_servers_at_existing_ones()
    {
        var previous = (Environment.GetEnvironmentVariable(TestServers.PostgresVariable),
            Environment.GetEnvironmentVariable(TestServers.RedisVariable));
        Environment.SetEnvironmentVariable(TestServers.PostgresVariable, servers.Postgres.ConnectionString);
        Environment.SetEnvironmentVariable(TestServers.RedisVariable, servers.Redis.ConnectionString);
        var given = new TestServers();
        try
        {
            await given.InitializeAsync();

            Assert.Equal(servers.Postgres.Port, given.Postgres.Port);
            Assert.Equal(servers.Redis.ConnectionString, given.Redis.ConnectionString);
            Assert.Contains("given_", await given.Postgres.CreateDatabaseAsync("given", Cancellation), StringComparison.Ordinal);
            await Assert.ThrowsAsync<NotSupportedException>(() => given.Postgres.StopAsync(Cancellation));
            await Assert.ThrowsAsync<NotSupportedException>(() => given.Redis.RestartAsync(Cancellation));
        }
        finally
        {
            Environment.SetEnvironmentVariable(TestServers.PostgresVariable, previous.Item1);
            Environment.SetEnvironmentVariable(TestServers.RedisVariable, previous.Item2);
            await given.DisposeAsync();
        }
    }

    [Fact]
    public void Servers_are_unavailable_until_the_fixture_is_initialized()
    {
        var uninitialized = new TestServers();

        var failure = Assert.Throws<InvalidOperationException>(() => uninitialized.Postgres);

        Assert.Contains("AssemblyFixture", failure.Message, StringComparison.Ordinal);
    }
}
