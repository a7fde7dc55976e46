namespace Messenger.EventBus;

/// <summary>Exponential back-off with jitter, so instances that failed together do not retry together.</summary>
internal static class Backoff
{
    /// <summary>The pause before attempt <paramref name="failures"/> + 1: initial × 2^(failures−1), capped, 50–100 % of it.</summary>
    public static TimeSpan Delay(int failures, TimeSpan initial, TimeSpan max)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var ceiling = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), max.TotalMilliseconds);
        var jittered = ceiling * (0.5 + (Random.Shared.NextDouble() * 0.5));
        return TimeSpan.FromMilliseconds(jittered);
    }
}
