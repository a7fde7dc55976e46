using System.Buffers.Text;
using System.Text;

namespace Messenger.Bench.Load;

/// <summary>
/// The one chat frame every system gets (same bytes, same size): a messenger <c>send</c> frame whose
/// clientMessageId <c>{step}.{sender}.{n}</c> tells the receiving side which message arrived. The relays
/// forward it unparsed; for Socket.IO it travels as the argument of a <c>msg</c> event.
/// </summary>
internal sealed class FrameTemplate
{
    /// <summary>A short chat line; with the envelope the frame is ~150 bytes.</summary>
    public const string Text = "on my way, see you in 5";

    private readonly byte[] prefix;
    private readonly byte[] suffix;

    public FrameTemplate(Protocol protocol, Guid conversationId)
    {
        var envelope = protocol == Protocol.SocketIo ? "42[\"msg\"," : "";
        prefix = Encoding.UTF8.GetBytes($"{envelope}{{\"type\":\"send\",\"conversationId\":\"{conversationId}\",\"clientMessageId\":\"");
        suffix = Encoding.UTF8.GetBytes($"\",\"content\":{{\"kind\":\"text\",\"text\":\"{Text}\"}}}}" + (protocol == Protocol.SocketIo ? "]" : ""));
    }

    /// <summary>Size of the frame's JSON (without the Socket.IO envelope) for a typical id.</summary>
    public static int TypicalFrameBytes => new FrameTemplate(Protocol.Messenger, Guid.Empty).Write(new byte[512], 3, 117, 12_345);

    /// <summary>Writes the frame of message <paramref name="n"/> of <paramref name="sender"/> in <paramref name="step"/>; returns its length.</summary>
    public int Write(byte[] buffer, int step, int sender, int n)
    {
        var span = buffer.AsSpan();
        prefix.CopyTo(span);
        var at = prefix.Length;
        Utf8Formatter.TryFormat(step, span[at..], out var written);
        at += written;
        span[at++] = (byte)'.';
        Utf8Formatter.TryFormat(sender, span[at..], out written);
        at += written;
        span[at++] = (byte)'.';
        Utf8Formatter.TryFormat(n, span[at..], out written);
        at += written;
        suffix.CopyTo(span[at..]);
        return at + suffix.Length;
    }
}
