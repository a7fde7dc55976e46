using System.Buffers.Binary;

namespace Chat.Api.Domain;

/// <summary>
/// UUIDv7 message ids that increase strictly within this process: the 12 bits after the timestamp
/// count up within a millisecond (RFC 9562 §6.2, method 1), where <see cref="Guid.CreateVersion7()"/>
/// would be random. So ids sort in the order messages were accepted, which search pages rely on.
/// Every socket makes ids, so this takes no lock: the millisecond and its counter are one number
/// (<c>ms &lt;&lt; 12 | counter</c>) advanced by compare-and-swap; a counter that runs over carries into
/// the next millisecond.
/// </summary>
internal static class MessageIds
{
    private const int CounterBits = 12;

    private static long last;

    public static Guid New()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << CounterBits;
        var seen = Volatile.Read(ref last);
        long next;
        while (true)
        {
            next = Math.Max(now, seen + 1);
            var found = Interlocked.CompareExchange(ref last, next, seen);
            if (found == seen)
            {
                break;
            }

            seen = found;
        }

        var milliseconds = next >> CounterBits;
        var sequence = (int)(next & ((1 << CounterBits) - 1));
        Span<byte> bytes = stackalloc byte[16];
        // The random tail (62 bits after the variant) comes from a version 4 GUID.
        Guid.NewGuid().TryWriteBytes(bytes, bigEndian: true, out _);
        BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16);
        bytes[6] = (byte)(0x70 | (sequence >> 8));
        bytes[7] = (byte)sequence;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
