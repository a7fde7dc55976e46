using System.Buffers.Text;
using System.Diagnostics;

namespace Messenger.Bench.Load;

/// <summary>
/// Every message of one step: when it was sent, acked and delivered, with which seq, how often. The
/// receive loops write it (each message's ack only on its sender's loop, its delivery only on the
/// peer's), the step reads it once the traffic has drained.
/// </summary>
internal sealed class StepLedger
{
    private static readonly byte[] IdField = "\"clientMessageId\":\""u8.ToArray();
    private static readonly byte[] SeqField = "\"seq\":"u8.ToArray();
    private static readonly byte[] AckPrefix = "{\"type\":\"ack\""u8.ToArray();
    private static readonly byte[] MessagePrefix = "{\"type\":\"message\""u8.ToArray();
    private static readonly byte[] ErrorPrefix = "{\"type\":\"error\""u8.ToArray();
    private static readonly byte[] SendPrefix = "{\"type\":\"send\""u8.ToArray();

    private readonly long[] lastSeenAt;
    private int acks;
    private int deliveries;
    private int orderViolations;
    private int misrouted;
    private int errorFrames;
    private int stale;

    public StepLedger(int step, int senders, int perSender, bool acked)
    {
        Step = step;
        Senders = senders;
        PerSender = perSender;
        ExpectsAcks = acked;
        var size = senders * perSender;
        Sent = new long[size];
        Acked = new long[size];
        Delivered = new long[size];
        AckSeq = new long[size];
        DeliverSeq = new long[size];
        AckCount = new int[size];
        DeliverCount = new int[size];
        lastSeenAt = new long[senders];
        Array.Fill(lastSeenAt, -1);
    }

    public int Step { get; }

    public int Senders { get; }

    public int PerSender { get; }

    /// <summary>The messenger acks every message; the relays do not.</summary>
    public bool ExpectsAcks { get; }

    public long[] Sent { get; }

    public long[] Acked { get; }

    public long[] Delivered { get; }

    public long[] AckSeq { get; }

    public long[] DeliverSeq { get; }

    public int[] AckCount { get; }

    public int[] DeliverCount { get; }

    /// <summary>Messages actually sent by each sender (its loop may have been cut short).</summary>
    public int[] SentBy { get; private set; } = [];

    public int Acks => Volatile.Read(ref acks);

    public int Deliveries => Volatile.Read(ref deliveries);

    /// <summary>A message arrived at a socket with a seq (or, on a relay, a number) not above the previous one.</summary>
    public int OrderViolations => orderViolations;

    /// <summary>An ack reached another socket than the sender, or a message another socket than the peer.</summary>
    public int Misrouted => misrouted;

    public int ErrorFrames => errorFrames;

    /// <summary>Frames of an earlier step that arrived during this one (late, already counted missing there).</summary>
    public int Stale => stale;

    public void SetSentCounts(int[] sentBy) => SentBy = sentBy;

    public int Index(int sender, int n) => (sender * PerSender) + n;

    /// <summary>Reads one received frame: which message, ack or delivery, which seq.</summary>
    public void Record(int receiver, ReadOnlySpan<byte> frame, long at)
    {
        var isAck = false;
        if (ExpectsAcks)
        {
            if (frame.StartsWith(AckPrefix))
            {
                isAck = true;
            }
            else if (frame.StartsWith(ErrorPrefix))
            {
                Interlocked.Increment(ref errorFrames);
                return;
            }
            else if (!frame.StartsWith(MessagePrefix))
            {
                return;
            }
        }
        else if (!frame.StartsWith(SendPrefix))
        {
            return;
        }

        var idAt = frame.IndexOf(IdField);
        if (idAt < 0)
        {
            return;
        }

        var id = frame[(idAt + IdField.Length)..];
        if (!Utf8Parser.TryParse(id, out int step, out var used) || id[used] != (byte)'.')
        {
            return;
        }

        id = id[(used + 1)..];
        if (!Utf8Parser.TryParse(id, out int sender, out used) || id[used] != (byte)'.')
        {
            return;
        }

        id = id[(used + 1)..];
        if (!Utf8Parser.TryParse(id, out int n, out _))
        {
            return;
        }

        if (step != Step || sender >= Senders || n >= PerSender)
        {
            Interlocked.Increment(ref stale);
            return;
        }

        long seq = n;
        if (ExpectsAcks)
        {
            var seqAt = frame.IndexOf(SeqField);
            if (seqAt < 0 || !Utf8Parser.TryParse(frame[(seqAt + SeqField.Length)..], out seq, out _))
            {
                return;
            }
        }

        var index = Index(sender, n);
        if (isAck)
        {
            if (receiver != sender)
            {
                Interlocked.Increment(ref misrouted);
                return;
            }

            Acked[index] = at;
            AckSeq[index] = seq;
            AckCount[index]++;
            Interlocked.Increment(ref acks);
            return;
        }

        if (receiver != (sender ^ 1))
        {
            Interlocked.Increment(ref misrouted);
            return;
        }

        // A socket hears only its peer, in one conversation: seqs (relays: message numbers) must rise.
        if (seq <= lastSeenAt[receiver])
        {
            Interlocked.Increment(ref orderViolations);
        }

        lastSeenAt[receiver] = seq;
        Delivered[index] = at;
        DeliverSeq[index] = seq;
        DeliverCount[index]++;
        Interlocked.Increment(ref deliveries);
    }

    public static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}
