using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Messenger.SecurityTests.Infrastructure;

/// <summary>One log line a service wrote, as the tests keep it.</summary>
public sealed record CapturedLog(string Service, string Category, LogLevel Level, EventId EventId, string Message, string? Exception)
{
    public override string ToString() =>
        $"[{Service}] {Level} {Category} ({EventId.Id} {EventId.Name}): {Message}{(Exception is null ? "" : Environment.NewLine + Exception)}";
}

/// <summary>
/// Everything the services of the test system log, in place of their console output: every entry the
/// services' own filters let through (Information and up, as they ship) is formatted and searched for
/// the secrets the tests registered (tokens, passwords, message texts, push keys); errors and entries
/// carrying an exception are kept whole.
/// </summary>
public sealed class LogCapture
{
    private readonly ConcurrentQueue<CapturedLog> problems = new();
    private readonly ConcurrentQueue<CapturedLog> warnings = new();
    private readonly ConcurrentQueue<(string Secret, CapturedLog Entry)> leaks = new();
    private readonly ConcurrentDictionary<string, string> secrets = new(StringComparer.Ordinal);
    private long entries;

    /// <summary>Entries at Error or Critical.</summary>
    public IReadOnlyCollection<CapturedLog> Problems => problems;

    /// <summary>Warnings (bad input, unavailable dependencies): fine, but shown when a test fails.</summary>
    public IReadOnlyCollection<CapturedLog> Warnings => warnings;

    /// <summary>Entries that contained a registered secret, with the secret's description.</summary>
    public IReadOnlyCollection<(string Secret, CapturedLog Entry)> Leaks => leaks;

    public long Entries => Interlocked.Read(ref entries);

    /// <summary>A value that must never appear in a log line (or an exception logged with one).</summary>
    public void Watch(string secret, string description)
    {
        if (secret.Length >= 8)
        {
            secrets[secret] = description;
        }
    }

    /// <summary>Replaces the service's log providers (console and the like) with this capture.</summary>
    public Action<IServiceCollection> For(string service) => services =>
    {
        services.RemoveAll<ILoggerProvider>();
        services.AddSingleton<ILoggerProvider>(new Provider(this, service));
    };

    public string Describe(IEnumerable<CapturedLog> logs, int max = 20) =>
        string.Join(Environment.NewLine, logs.Take(max).Select(l => l.ToString()));

    private void Record(CapturedLog entry)
    {
        Interlocked.Increment(ref entries);
        foreach (var (secret, description) in secrets)
        {
            if (entry.Message.Contains(secret, StringComparison.Ordinal) || entry.Exception?.Contains(secret, StringComparison.Ordinal) == true)
            {
                leaks.Enqueue((description, entry));
            }
        }

        if (entry.Level >= LogLevel.Error && !IsMigrationProbe(entry))
        {
            problems.Enqueue(entry);
        }
        else if (entry.Level == LogLevel.Warning || entry.Exception is not null)
        {
            warnings.Enqueue(entry);
        }
    }

    /// <summary>
    /// On a fresh database EF Core's migrator reads its history table before creating it and logs that
    /// failed command at Error, though it handles the failure itself; it happens once per service start.
    /// </summary>
    private static bool IsMigrationProbe(CapturedLog entry) =>
        entry.Category == "Microsoft.EntityFrameworkCore.Database.Command"
        && entry.Message.Contains("FROM \"__EFMigrationsHistory\"", StringComparison.Ordinal);

    private sealed class Provider(LogCapture capture, string service) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(capture, service, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(LogCapture capture, string service, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Structured values are searched too: a template may leave a secret out of the message yet carry it as a property.
            var message = formatter(state, exception);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> properties)
            {
                foreach (var (key, value) in properties)
                {
                    if (key != "{OriginalFormat}" && value is not null)
                    {
                        message += $" | {key}={value}";
                    }
                }
            }

            capture.Record(new CapturedLog(service, category, logLevel, eventId, message, exception?.ToString()));
        }
    }
}
