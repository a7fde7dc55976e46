namespace Messenger.ServiceDefaults.Data;

public static class DatabaseTime
{
    /// <summary>
    /// The current UTC time cut to whole microseconds, the precision PostgreSQL keeps, so a time a
    /// route returns when it creates something equals the one it reads back later.
    /// </summary>
    public static DateTimeOffset GetUtcNowInMicroseconds(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }
}
