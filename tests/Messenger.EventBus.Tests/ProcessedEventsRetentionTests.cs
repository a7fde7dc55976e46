using Messenger.EventBus.Idempotency;
using Messenger.EventBus.Tests.Infrastructure;
using Messenger.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messenger.EventBus.Tests;

/// <summary>The record of applied events is kept as long as a redelivery could come, and no longer.</summary>
public sealed class ProcessedEventsRetentionTests(TestServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Records_older_than_the_retention_go_and_newer_ones_still_stop_a_redelivery()
    {
        var connectionString = await TestDbContext.CreateDatabaseAsync(servers.Postgres);
        var old = Guid.CreateVersion7();
        var recent = Guid.CreateVersion7();
        await using (var db = TestDbContext.Open(connectionString))
        {
            db.Set<ProcessedEvent>().AddRange(
                new ProcessedEvent { Consumer = "users", EventId = old, ProcessedAt = DateTimeOffset.UtcNow.AddDays(-31) },
                new ProcessedEvent { Consumer = "users", EventId = recent, ProcessedAt = DateTimeOffset.UtcNow.AddDays(-29) });
            await db.SaveChangesAsync(Cancellation);
        }

        var services = new ServiceCollection()
            .AddDbContext<TestDbContext>(options => options.UseNpgsql(connectionString))
            .BuildServiceProvider();
        await using (services)
        {
            var retention = new ProcessedEventsRetention<TestDbContext>(
                services.GetRequiredService<IServiceScopeFactory>(), Options.Create(new EventBusOptions()), TimeProvider.System,
                NullLogger<ProcessedEventsRetention<TestDbContext>>.Instance);

            Assert.Equal(1, await retention.PurgeAsync(DateTimeOffset.UtcNow, Cancellation));
        }

        await using var check = TestDbContext.Open(connectionString);
        await using var transaction = await check.Database.BeginTransactionAsync(Cancellation);
        Assert.False(await check.TryMarkProcessedAsync(recent, "users", Cancellation));
        Assert.True(await check.TryMarkProcessedAsync(old, "users", Cancellation));
    }
}
