using System.Diagnostics;
using Messenger.Testing.Internal;
using Npgsql;
using StackExchange.Redis;

namespace Messenger.Testing.Tests;

public sealed class RunDirectoryTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Servers_left_by_a_killed_test_process_are_stopped_and_their_folder_deleted()
    {
        await using var postgres = await PostgresServer.StartAsync(Cancellation);
        await using var redis = await RedisServer.StartAsync(Cancellation);
        // A run folder as a killed test process leaves it: its owner is gone, its servers still run.
        var deadOwner = DeadPid();
        var orphanRun = Path.Combine(RunDirectory.Root, $"run-{deadOwner}-orphan");
        var orphanPostgres = Directory.CreateDirectory(Path.Combine(orphanRun, "postgres-orphan", PostgresServer.DataFolderName));
        var orphanRedis = Directory.CreateDirectory(Path.Combine(orphanRun, "redis-orphan"));
        await File.WriteAllTextAsync(Path.Combine(orphanRun, "owner"), $"{deadOwner} 1", Cancellation);
        var postgresFolder = Path.GetDirectoryName(postgres.LogPath)!;
        var redisFolder = Path.GetDirectoryName(redis.LogPath)!;
        File.Copy(Path.Combine(postgresFolder, PostgresServer.DataFolderName, "postmaster.pid"),
            Path.Combine(orphanPostgres.FullName, "postmaster.pid"));
        File.Copy(Path.Combine(redisFolder, RedisServer.PidFileName), Path.Combine(orphanRedis.FullName, RedisServer.PidFileName));

        RunDirectory.SweepOrphans();

        Assert.False(Directory.Exists(orphanRun));
        await using var refused = new NpgsqlConnection(
            new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Pooling = false, Timeout = 3 }.ConnectionString);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => refused.OpenAsync(Cancellation));
        await Assert.ThrowsAsync<RedisConnectionException>(() =>
            ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},connectTimeout=1000,connectRetry=0"));
    }

    [Fact]
    public void Runs_whose_owner_is_alive_are_left_alone()
    {
        var liveRun = Path.Combine(RunDirectory.Root, $"run-{Environment.ProcessId}-alive");
        Directory.CreateDirectory(liveRun);
        File.WriteAllText(Path.Combine(liveRun, "owner"), $"{Environment.ProcessId} {Posix.StartTime(Environment.ProcessId)}");
        try
        {
            RunDirectory.SweepOrphans();

            Assert.True(Directory.Exists(liveRun));
        }
        finally
        {
            Directory.Delete(liveRun, recursive: true);
        }
    }

    /// <summary>The pid of a process that has exited.</summary>
    private static int DeadPid()
    {
        using var process = Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }
}
