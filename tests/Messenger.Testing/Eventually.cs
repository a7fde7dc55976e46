using Xunit;

namespace Messenger.Testing;

/// <summary>Waits for what happens eventually (an event consumed, a projection updated) by polling up to a deadline.</summary>
public static class Eventually
{
    // Generous: it only matters when something is broken, and CI machines are slow and busy.
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Polls <paramref name="probe"/> until its value satisfies <paramref name="until"/> and returns that value; fails the test after the deadline.</summary>
    public static async Task<T> GetAsync<T>(Func<Task<T>> probe, Func<T, bool> until, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var value = await probe();
            if (until(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}; last seen: {value}.");
            }

            await Task.Delay(PollInterval, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after the deadline.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        GetAsync(condition, holds => holds, what, timeout);

    /// <summary>Polls an in-memory <paramref name="condition"/> until it holds; fails the test after the deadline.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        GetAsync(() => Task.FromResult(condition()), holds => holds, what, timeout);
}
