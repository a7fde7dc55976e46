using System.Globalization;
using StackExchange.Redis;

namespace Messenger.EventBus.Redis;

/// <summary>
/// Trims a stream behind its slowest consumer group: entries every group has acknowledged go, an
/// entry some group was given but has not acknowledged (or has not been given yet) stays. Redis 8.2
/// can do this itself (<c>XTRIM … ACKED</c>); the servers this runs on are older.
/// </summary>
internal static class RedisStreamTrimmer
{
    /// <summary>Removes what every group is done with; returns how many entries went.</summary>
    public static async Task<long> TrimAcknowledgedAsync(IDatabase db, RedisKey stream)
    {
        var groups = await db.StreamGroupInfoAsync(stream);
        if (groups.Length == 0)
        {
            // Nobody has read it yet: everything is still to be delivered.
            return 0;
        }

        StreamId? floor = null;
        foreach (var group in groups)
        {
            // Entries up to the last delivered id are acknowledged unless pending; pending ones
            // start at the lowest pending id.
            var keepFrom = StreamId.Parse(group.LastDeliveredId);
            if (group.PendingMessageCount > 0)
            {
                var pending = await db.StreamPendingAsync(stream, group.Name);
                if (pending.PendingMessageCount > 0)
                {
                    keepFrom = StreamId.Min(keepFrom, StreamId.Parse(pending.LowestPendingMessageId.ToString()));
                }
            }

            floor = floor is null ? keepFrom : StreamId.Min(floor.Value, keepFrom);
        }

        if (floor is not { } minId || minId.IsZero)
        {
            return 0;
        }

        // MINID removes entries below the id, so the floor entry itself stays; "~" trims whole
        // nodes only, which is cheap and never removes more. With "~" Redis also removes at most
        // 100 nodes' worth of entries (10,000 by default) per call, less than a busy stream gains
        // between two passes, so the pass repeats until nothing more goes.
        var total = 0L;
        long removed;
        do
        {
            removed = await db.StreamTrimByMinIdAsync(stream, minId.ToString(), useApproximateMaxLength: true);
            total += removed;
        }
        while (removed > 0);

        return total;
    }

    /// <summary>A stream entry id, <c>milliseconds-sequence</c>, ordered as Redis orders them.</summary>
    internal readonly record struct StreamId(ulong Milliseconds, ulong Sequence) : IComparable<StreamId>
    {
        public bool IsZero => Milliseconds == 0 && Sequence == 0;

        public static StreamId Parse(string? id)
        {
            if (string.IsNullOrEmpty(id))
            {
                return default;
            }

            var dash = id.IndexOf('-', StringComparison.Ordinal);
            return dash < 0
                ? new StreamId(ulong.Parse(id, CultureInfo.InvariantCulture), 0)
                : new StreamId(ulong.Parse(id.AsSpan(0, dash), CultureInfo.InvariantCulture), ulong.Parse(id.AsSpan(dash + 1), CultureInfo.InvariantCulture));
        }

        public static StreamId Min(StreamId a, StreamId b) => a.CompareTo(b) <= 0 ? a : b;

        public int CompareTo(StreamId other) =>
            Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}");
    }
}
