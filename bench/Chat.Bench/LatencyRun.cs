using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Chat.Bench;

internal sealed record RateResult(int OfferedRate, double SentRate, int Messages, int Acked, int Delivered, double AckP50, double AckP99, double DeliverP50, double DeliverP99, double DeliverMax)
{
    /// <summary>The writer's transactions during the run: how many, mean messages per batch, mean time per batch.</summary>
    public (long Batches, double MeanSize, double MeanMilliseconds) Writer { get; init; }

    /// <summary>Every message acked and delivered, with send→deliver p99 within 50 ms, at (nearly) the offered rate.</summary>
    public bool Sustained => Acked == Messages && Delivered == Messages && DeliverP99 <= 50 && SentRate >= OfferedRate * 0.95;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{OfferedRate,6}/s offered, {SentRate,8:N0}/s sent: ack p50 {AckP50,6:0.0} ms p99 {AckP99,6:0.0} ms; deliver p50 {DeliverP50,6:0.0} ms p99 {DeliverP99,6:0.0} ms max {DeliverMax,6:0.0} ms; {Delivered}/{Messages} delivered; batches {Writer.MeanSize:0.0} msgs in {Writer.MeanMilliseconds:0.00} ms{(Sustained ? "" : "  ← not sustained")}");
}

/// <summary>One paced run: <c>rate</c> messages a second for a duration, each stamped at send, ack and delivery.</summary>
internal static class LatencyRun
{
    private static int runs;

    public static Task<RateResult> RunAsync(BenchConversation conversation, int rate, TimeSpan duration) => RunAsync([conversation], rate, duration);

    /// <summary>Spreads <paramref name="rate"/> over the conversations: message i goes through conversation i mod n.</summary>
    public static async Task<RateResult> RunAsync(IReadOnlyList<BenchConversation> conversations, int rate, TimeSpan duration)
    {
        var count = (int)(rate * duration.TotalSeconds);
        var run = Interlocked.Increment(ref runs);
        var clock = new RunClock(run, count);
        foreach (var conversation in conversations)
        {
            conversation.Sender.Clock = clock;
            conversation.Receiver.Clock = clock;
        }

        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(conversations.Select((conversation, c) => Task.Run(async () =>
        {
            var prefix = $"{{\"type\":\"send\",\"conversationId\":\"{conversation.ConversationId}\",\"content\":{{\"kind\":\"text\",\"text\":\"a benchmark message of about the length of a short chat line\"}},\"clientMessageId\":\"{run}-";
            for (var i = c; i < count; i += conversations.Count)
            {
                var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > Stopwatch.Frequency / 1000)
                {
                    await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
                }

                clock.Sent[i] = Stopwatch.GetTimestamp();
                await conversation.Sender.SendAsync(Encoding.UTF8.GetBytes(prefix + i.ToString(CultureInfo.InvariantCulture) + "\"}"));
            }
        })));

        var sentRate = count / Stopwatch.GetElapsedTime(start).TotalSeconds;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((clock.AckCount < count || clock.DeliveredCount < count) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var acks = Latencies(clock.Sent, clock.Acked);
        var deliveries = Latencies(clock.Sent, clock.Delivered);
        return new RateResult(rate, sentRate, count, clock.AckCount, clock.DeliveredCount,
            Percentile(acks, 0.50), Percentile(acks, 0.99), Percentile(deliveries, 0.50), Percentile(deliveries, 0.99),
            deliveries.Length == 0 ? double.NaN : deliveries[^1]);
    }

    private static double[] Latencies(long[] sent, long[] arrived)
    {
        var values = new List<double>(sent.Length);
        for (var i = 0; i < sent.Length; i++)
        {
            if (arrived[i] != 0)
            {
                values.Add((arrived[i] - sent[i]) * 1000.0 / Stopwatch.Frequency);
            }
        }

        values.Sort();
        return [.. values];
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
