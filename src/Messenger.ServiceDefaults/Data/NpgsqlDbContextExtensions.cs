using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messenger.ServiceDefaults.Data;

public static class NpgsqlDbContextExtensions
{
    /// <summary>
    /// Registers a service's own PostgreSQL database: the DbContext (snake_case names) from
    /// <c>ConnectionStrings:{connectionName}</c>, a readiness check, and migrations applied at
    /// start when <c>Database:MigrateOnStart</c> is true (the default in Development).
    /// </summary>
    public static TBuilder AddNpgsqlDbContext<TBuilder, TContext>(
        this TBuilder builder, string connectionName, Action<IServiceProvider, DbContextOptionsBuilder>? configure = null)
        where TBuilder : IHostApplicationBuilder
        where TContext : DbContext
    {
        var connectionString = builder.Configuration.GetRequiredConnectionString(connectionName,
            $"an Npgsql connection string such as Host=127.0.0.1;Port=5432;Username=postgres;Database={connectionName}");

        builder.Services.AddDbContext<TContext>((sp, options) =>
        {
            options.UseNpgsql(connectionString).UseSnakeCaseNamingConvention();
            configure?.Invoke(sp, options);
        });
        builder.Services.AddHealthChecks().AddDbContextCheck<TContext>("postgres");

        if (builder.Configuration.GetValue("Database:MigrateOnStart", builder.Environment.IsDevelopment()))
        {
            builder.Services.AddHostedService<DatabaseMigrator<TContext>>();
        }

        return builder;
    }
}

/// <summary>
/// Applies pending migrations before the service starts serving (hosted services start before
/// the server listens). EF Core takes a database lock, so parallel instances do not collide.
/// </summary>
internal sealed class DatabaseMigrator<TContext>(IServiceProvider services, ILogger<DatabaseMigrator<TContext>> logger) : IHostedService
    where TContext : DbContext
{
    /// <summary>
    /// One migration of this context type at a time in a process. Hosts of one context type share
    /// EF Core's design-time model, and EF Core 10 builds its relational model lazily without making
    /// the check and the build atomic: two first migrations at once (several hosts in one test
    /// process) can fail with "The model must be finalized …". One host per process never waits.
    /// </summary>
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await OneAtATime.WaitAsync(cancellationToken);
        try
        {
            await MigrateAsync(cancellationToken);
        }
        finally
        {
            OneAtATime.Release();
        }
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} migrations to {Context}: {Migrations}", pending.Count, typeof(TContext).Name, pending);
            await db.Database.MigrateAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
