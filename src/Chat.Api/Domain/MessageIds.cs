using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Chat.Api.Domain;

/// <summary>
/// UUIDv7 message ids that increase strictly within this process: the 12 bits after the timestamp
/// count up within a millisecond (RFC 9562 §6.2, method 1), where <see cref="Guid.CreateVersion7()"/>
/// would be random. So ids sort in the order messages were accepted, which search pages rely on.
/// </summary>
internal static class MessageIds
{
    private static readonly Lock Sync = new();
    private static long lastMilliseconds;
    private static int counter;

    public static Guid New()
    {
        long milliseconds;
        int sequence;
        lock (Sync)
        {
            milliseconds = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), lastMilliseconds);
            if (milliseconds == lastMilliseconds)
            {
                if (++counter > 0xFFF)
                {
                    milliseconds++;
                    counter = 0;
                }
            }
            else
            {
                counter = 0;
            }

            lastMilliseconds = milliseconds;
            sequence = counter;
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16);
        bytes[6] = (byte)(0x70 | (sequence >> 8));
        bytes[7] = (byte)sequence;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
