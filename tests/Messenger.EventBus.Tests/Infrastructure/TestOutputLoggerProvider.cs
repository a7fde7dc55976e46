using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Messenger.EventBus.Tests.Infrastructure;

/// <summary>
/// Sends a host's log to the output of the test that started it, so a failure shows what the bus did,
/// and keeps the warnings so a test can see what an operator would.
/// </summary>
public sealed class TestOutputLoggerProvider(ITestOutputHelper? output) : ILoggerProvider
{
    public ConcurrentQueue<string> Warnings { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, output, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class Logger(TestOutputLoggerProvider provider, ITestOutputHelper? output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                provider.Warnings.Enqueue($"{category}: {formatter(state, exception)}");
            }

            if (output is null)
            {
                return;
            }

            try
            {
                var error = exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]";
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}{error}");
            }
            catch (InvalidOperationException)
            {
                // The test has finished; its output is closed.
            }
        }
    }
}
