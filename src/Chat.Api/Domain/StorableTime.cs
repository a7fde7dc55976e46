namespace Chat.Api.Domain;

internal static class StorableTime
{
    /// <summary>
    /// Now, to the millisecond: what both stores keep (MongoDB dates are milliseconds), so a value
    /// returned at once equals the one read back later.
    /// </summary>
    public static DateTimeOffset GetStorableNow(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.UtcTicks % TimeSpan.TicksPerMillisecond));
    }
}
