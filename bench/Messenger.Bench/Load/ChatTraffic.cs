using System.Diagnostics;

namespace Messenger.Bench.Load;

/// <summary>The sockets of one system under test: socket 2p and 2p+1 are the two people of conversation p.</summary>
internal sealed class TrafficTarget(string name, Protocol protocol, IReadOnlyList<LoadSocket> sockets, IReadOnlyList<Guid> conversations)
{
    public string Name { get; } = name;

    public Protocol Protocol { get; } = protocol;

    public IReadOnlyList<LoadSocket> Sockets { get; } = sockets;

    public IReadOnlyList<Guid> Conversations { get; } = conversations;

    /// <summary>The highest seq verified so far per conversation, so the next step's seqs must follow on.</summary>
    public long[] LastSeq { get; } = new long[conversations.Count];
}

/// <summary>What one step measured.</summary>
internal sealed record StepResult(
    int Step, double Offered, double Achieved, int Messages, int Sent, int Acked, int Delivered,
    Percentiles Ack, Percentiles Deliver, int Lost, int Duplicates, int OrderViolations, int SeqGaps, int ErrorFrames, int Misrouted,
    int ClosedSockets, double SendLagP99Ms)
{
    public IReadOnlyList<Infrastructure.ProcessUse> Processes { get; init; } = [];

    public IReadOnlyDictionary<string, double> Database { get; init; } = new Dictionary<string, double>();

    public int Errors => Lost + Duplicates + OrderViolations + SeqGaps + ErrorFrames + Misrouted + ClosedSockets;

    /// <summary>Every message delivered once, in order, without gaps; p99 send→deliver within the bound; the rate was offered in full.</summary>
    public bool Holds(double p99BoundMs) => Errors == 0 && Deliver.P99 <= p99BoundMs && Achieved >= Offered * 0.95;

    public string Verdict(double p99BoundMs) =>
        Holds(p99BoundMs) ? "holds"
        : Errors > 0 ? $"{Errors} errors"
        : Deliver.P99 > p99BoundMs ? $"p99 {Deliver.P99:0} ms"
        : $"sent {Achieved / Offered:P0} of the rate";
}

internal sealed record Percentiles(double P50, double P90, double P99, double Max, int Count)
{
    public static Percentiles Of(List<double> values)
    {
        if (values.Count == 0)
        {
            return new Percentiles(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        }

        values.Sort();
        return new Percentiles(At(0.50), At(0.90), At(0.99), values[^1], values.Count);

        double At(double p) => values[Math.Clamp((int)Math.Ceiling(p * values.Count) - 1, 0, values.Count - 1)];
    }
}

/// <summary>
/// Paced chat traffic: every socket sends its share of the offered rate into its conversation, each
/// frame stamped at send; the peer's socket stamps its arrival (and, on the messenger, the sender's
/// socket the ack). After a step every message is checked: acked once, delivered once, in seq order,
/// seqs without gaps continuing from the previous step.
/// </summary>
internal static class ChatTraffic
{
    private static int steps;

    public static async Task<StepResult> RunStepAsync(TrafficTarget target, double rate, TimeSpan duration, TimeSpan drain)
    {
        var step = Interlocked.Increment(ref steps);
        var senders = target.Sockets.Count;
        var perSocketRate = rate / senders;
        var perSender = Math.Max(1, (int)Math.Round(perSocketRate * duration.TotalSeconds));
        var ledger = new StepLedger(step, senders, perSender, acked: target.Protocol == Protocol.Messenger);
        foreach (var socket in target.Sockets)
        {
            socket.OnFrame = (s, frame, at) => ledger.Record(s.Index, frame.Span, at);
        }

        var sentBy = new int[senders];
        var lag = new List<double>[senders];
        var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 20);
        var interval = Stopwatch.Frequency / perSocketRate;
        await Task.WhenAll(target.Sockets.Select((socket, s) => Task.Run(async () =>
        {
            var template = new FrameTemplate(target.Protocol, target.Conversations[s / 2]);
            var buffer = new byte[512];
            var lags = lag[s] = new List<double>(perSender);
            // Senders are spread evenly over each interval rather than all firing at once.
            var phase = interval * s / senders;
            for (var n = 0; n < perSender; n++)
            {
                var due = start + (long)(phase + (n * interval));
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > Stopwatch.Frequency / 1000)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                }

                if (!socket.IsOpen)
                {
                    break;
                }

                var length = template.Write(buffer, step, s, n);
                var now = Stopwatch.GetTimestamp();
                ledger.Sent[ledger.Index(s, n)] = now;
                lags.Add(StepLedger.Milliseconds(due, now));
                try
                {
                    await socket.SendAsync(buffer.AsMemory(0, length));
                }
                catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException)
                {
                    break;
                }

                sentBy[s] = n + 1;
            }
        })));
        var sendSeconds = (double)(Stopwatch.GetTimestamp() - start) / Stopwatch.Frequency;
        ledger.SetSentCounts(sentBy);
        var sent = sentBy.Sum();

        var deadline = Stopwatch.GetTimestamp() + (long)(drain.TotalSeconds * Stopwatch.Frequency);
        while ((ledger.Deliveries < sent || (ledger.ExpectsAcks && ledger.Acks < sent)) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(10);
        }

        // Late duplicates show up shortly after the last expected frame.
        await Task.Delay(200);
        foreach (var socket in target.Sockets)
        {
            socket.OnFrame = null;
        }

        return Analyse(target, ledger, rate, sent / sendSeconds, sentBy, lag);
    }

    private static StepResult Analyse(TrafficTarget target, StepLedger ledger, double rate, double achieved, int[] sentBy, List<double>[] lags)
    {
        var ack = new List<double>();
        var deliver = new List<double>();
        int lost = 0, duplicates = 0, gaps = 0, acked = 0, delivered = 0;
        for (var s = 0; s < ledger.Senders; s++)
        {
            for (var n = 0; n < sentBy[s]; n++)
            {
                var i = ledger.Index(s, n);
                if (ledger.DeliverCount[i] > 0)
                {
                    delivered++;
                    deliver.Add(StepLedger.Milliseconds(ledger.Sent[i], ledger.Delivered[i]));
                }

                if (ledger.ExpectsAcks && ledger.AckCount[i] > 0)
                {
                    acked++;
                    ack.Add(StepLedger.Milliseconds(ledger.Sent[i], ledger.Acked[i]));
                }

                if (ledger.DeliverCount[i] == 0 || (ledger.ExpectsAcks && ledger.AckCount[i] == 0))
                {
                    lost++;
                }

                if (ledger.DeliverCount[i] > 1 || ledger.AckCount[i] > 1)
                {
                    duplicates++;
                }

                // The peer must see the very seq the sender was acked with.
                if (ledger.ExpectsAcks && ledger.AckCount[i] > 0 && ledger.DeliverCount[i] > 0 && ledger.AckSeq[i] != ledger.DeliverSeq[i])
                {
                    gaps++;
                }
            }
        }

        if (ledger.ExpectsAcks)
        {
            gaps += CheckSeqs(target, ledger, sentBy);
        }

        var closed = target.Sockets.Count(s => !s.IsOpen);
        return new StepResult(ledger.Step, rate, achieved, ledger.Senders * ledger.PerSender, sentBy.Sum(), acked, delivered,
            Percentiles.Of(ack), Percentiles.Of(deliver), lost, duplicates, ledger.OrderViolations, gaps, ledger.ErrorFrames, ledger.Misrouted,
            closed, Percentiles.Of([.. lags.SelectMany(l => l)]).P99);
    }

    /// <summary>Per conversation: the step's acked seqs are exactly last+1 … last+count, each once.</summary>
    private static int CheckSeqs(TrafficTarget target, StepLedger ledger, int[] sentBy)
    {
        var problems = 0;
        for (var p = 0; p < target.Conversations.Count; p++)
        {
            var seqs = new List<long>();
            foreach (var s in new[] { 2 * p, (2 * p) + 1 })
            {
                for (var n = 0; n < sentBy[s]; n++)
                {
                    var i = ledger.Index(s, n);
                    if (ledger.AckCount[i] > 0)
                    {
                        seqs.Add(ledger.AckSeq[i]);
                    }
                }
            }

            if (seqs.Count == 0)
            {
                continue;
            }

            seqs.Sort();
            // The first step of a conversation starts wherever its seqs stood (warm-up included).
            var expected = target.LastSeq[p] == 0 ? seqs[0] : target.LastSeq[p] + 1;
            foreach (var seq in seqs)
            {
                if (seq != expected)
                {
                    problems++;
                }

                expected = seq + 1;
            }

            target.LastSeq[p] = seqs[^1];
        }

        return problems;
    }
}
