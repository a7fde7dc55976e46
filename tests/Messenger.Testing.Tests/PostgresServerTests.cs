using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Messenger.Testing.Tests;

public sealed class PostgresServerTests(TestServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Created_database_accepts_a_table_and_a_row()
    {
        var connectionString = await servers.Postgres.CreateDatabaseAsync("harness_rows", Cancellation);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await Execute(connection, "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)");
        await Execute(connection, "INSERT INTO notes VALUES (1, 'hello')");

        Assert.StartsWith("harness_rows_", connection.Database, StringComparison.Ordinal);
        Assert.Equal("hello", await Scalar<string>(connection, "SELECT body FROM notes WHERE id = 1"));
    }

    [Fact]
    public async Task Each_created_database_starts_empty_and_apart_from_the_others()
    {
        var first = await servers.Postgres.CreateDatabaseAsync("Harness Apart!", Cancellation);
        var second = await servers.Postgres.CreateDatabaseAsync("Harness Apart!", Cancellation);

        await using var firstConnection = new NpgsqlConnection(first);
        await firstConnection.OpenAsync(Cancellation);
        await Execute(firstConnection, "CREATE TABLE only_here (id int)");
        await using var secondConnection = new NpgsqlConnection(second);
        await secondConnection.OpenAsync(Cancellation);

        Assert.NotEqual(firstConnection.Database, secondConnection.Database);
        Assert.Equal(0L, await Scalar<long>(secondConnection,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"));
    }

    [Fact]
    public async Task Stop_refuses_connections_and_restart_brings_back_committed_rows_on_the_same_port()
    {
        await using var server = await PostgresServer.StartAsync(Cancellation);
        var connectionString = await server.CreateDatabaseAsync("harness_restart", Cancellation);
        var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 3 }.ConnectionString;
        await using (var connection = new NpgsqlConnection(unpooled))
        {
            await connection.OpenAsync(Cancellation);
            await Execute(connection, "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)");
            await Execute(connection, "INSERT INTO notes VALUES (7, 'kept')");
        }
        var port = server.Port;

        await server.StopAsync(Cancellation);
        await using (var refused = new NpgsqlConnection(unpooled))
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => refused.OpenAsync(Cancellation));
        }

        await server.RestartAsync(Cancellation);
        await using var reopened = new NpgsqlConnection(unpooled);
        await reopened.OpenAsync(Cancellation);

        Assert.Equal(port, server.Port);
        Assert.Equal("kept", await Scalar<string>(reopened, "SELECT body FROM notes WHERE id = 7"));
    }

    [Fact]
    public async Task Restart_fails_with_a_clear_message_when_another_process_took_the_port()
    {
        await using var server = await PostgresServer.StartAsync(Cancellation);
        await server.StopAsync(Cancellation);
        using var squatter = new TcpListener(IPAddress.Loopback, server.Port);
        squatter.Start();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => server.RestartAsync(Cancellation));

        Assert.Contains($"port {server.Port} was taken", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposed_server_stops_listening_and_leaves_no_folder()
    {
        var server = await PostgresServer.StartAsync(Cancellation);
        var folder = Path.GetDirectoryName(server.LogPath)!;
        var unpooled = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false, Timeout = 3 }.ConnectionString;
        Assert.True(Directory.Exists(folder));

        await server.DisposeAsync();

        Assert.False(Directory.Exists(folder));
        await using var refused = new NpgsqlConnection(unpooled);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => refused.OpenAsync(Cancellation));
    }

    [Fact]
    public async Task Server_given_by_connection_string_creates_databases_but_cannot_be_stopped_or_restarted()
    {
        await using var given = PostgresServer.FromConnectionString(servers.Postgres.ConnectionString);

        var connectionString = await given.CreateDatabaseAsync("harness_given", Cancellation);

        Assert.Equal(servers.Postgres.Port, given.Port);
        Assert.Contains("harness_given_", connectionString, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotSupportedException>(() => given.StopAsync(Cancellation));
        await Assert.ThrowsAsync<NotSupportedException>(() => given.RestartAsync(Cancellation));
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
