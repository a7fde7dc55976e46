namespace Messenger.Bench.Load;

/// <summary>A set of measured durations and its percentiles (nearest rank).</summary>
internal sealed class Latencies(IEnumerable<TimeSpan> samples)
{
    private readonly double[] milliseconds = [.. samples.Select(s => s.TotalMilliseconds).Order()];

    public int Count => milliseconds.Length;

    public double Min => milliseconds[0];

    public double Max => milliseconds[^1];

    public double Mean => milliseconds.Average();

    public double Percentile(double p) => milliseconds[Math.Clamp((int)Math.Ceiling(p / 100 * milliseconds.Length) - 1, 0, milliseconds.Length - 1)];

    public int CountBelow(double limitMs) => milliseconds.Count(m => m < limitMs);
}
