using System.Diagnostics;

namespace Chat.Api.Realtime;

/// <summary>A token bucket for one connection; used only by that connection's receive loop, so it needs no lock.</summary>
internal sealed class TokenBucket(int capacity, double perSecond)
{
    private double tokens = capacity;
    private long updatedAt = Stopwatch.GetTimestamp();

    public bool TryTake()
    {
        var now = Stopwatch.GetTimestamp();
        tokens = Math.Min(capacity, tokens + (Stopwatch.GetElapsedTime(updatedAt, now).TotalSeconds * perSecond));
        updatedAt = now;
        if (tokens < 1)
        {
            return false;
        }

        tokens--;
        return true;
    }
}
