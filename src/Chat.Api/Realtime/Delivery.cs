using System.Buffers.Binary;

namespace Chat.Api.Realtime;

/// <summary>
/// One frame for the sockets of some users: every device of every recipient gets it, except
/// <see cref="ExceptConnection"/> (the socket that caused it) and every device of <see cref="ExceptUser"/>.
/// </summary>
internal sealed record Delivery(byte[] Frame, IReadOnlyList<Guid> Recipients, Guid ExceptConnection = default, Guid ExceptUser = default)
{
    /// <summary>Packs deliveries for another instance: count, then per delivery frame, recipients and exceptions.</summary>
    public static byte[] Encode(IReadOnlyList<Delivery> deliveries)
    {
        var size = 4 + deliveries.Sum(d => 4 + d.Frame.Length + 4 + (16 * d.Recipients.Count) + 32);
        var buffer = new byte[size];
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(span, deliveries.Count);
        var offset = 4;
        foreach (var delivery in deliveries)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], delivery.Frame.Length);
            offset += 4;
            delivery.Frame.CopyTo(span[offset..]);
            offset += delivery.Frame.Length;
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], delivery.Recipients.Count);
            offset += 4;
            foreach (var recipient in delivery.Recipients)
            {
                recipient.TryWriteBytes(span[offset..]);
                offset += 16;
            }

            delivery.ExceptConnection.TryWriteBytes(span[offset..]);
            delivery.ExceptUser.TryWriteBytes(span[(offset + 16)..]);
            offset += 32;
        }

        return buffer;
    }

    public static List<Delivery> Decode(ReadOnlySpan<byte> span)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(span);
        var offset = 4;
        var deliveries = new List<Delivery>(count);
        for (var i = 0; i < count; i++)
        {
            var frameLength = BinaryPrimitives.ReadInt32LittleEndian(span[offset..]);
            offset += 4;
            var frame = span.Slice(offset, frameLength).ToArray();
            offset += frameLength;
            var recipientCount = BinaryPrimitives.ReadInt32LittleEndian(span[offset..]);
            offset += 4;
            var recipients = new Guid[recipientCount];
            for (var r = 0; r < recipientCount; r++)
            {
                recipients[r] = new Guid(span.Slice(offset, 16));
                offset += 16;
            }

            var exceptConnection = new Guid(span.Slice(offset, 16));
            var exceptUser = new Guid(span.Slice(offset + 16, 16));
            offset += 32;
            deliveries.Add(new Delivery(frame, recipients, exceptConnection, exceptUser));
        }

        return deliveries;
    }
}
