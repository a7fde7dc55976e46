using System.Diagnostics.Metrics;

namespace Chat.Bench;

/// <summary>Listens to the chat writer's own instruments (the service runs in this process): batch sizes and commit times.</summary>
internal sealed class WriterStats : IDisposable
{
    private readonly MeterListener listener = new();
    private long batches;
    private long messages;
    private double seconds;

    public WriterStats()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Messenger.Chat" && instrument.Name.StartsWith("messenger.chat.write_batch", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, size, _, _) =>
        {
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref messages, size);
        });
        listener.SetMeasurementEventCallback<double>((_, duration, _, _) =>
        {
            lock (listener)
            {
                seconds += duration;
            }
        });
        listener.Start();
    }

    /// <summary>Batches, mean batch size and mean time per batch since the last call.</summary>
    public (long Batches, double MeanSize, double MeanMilliseconds) Take()
    {
        lock (listener)
        {
            var taken = (Batches: Interlocked.Exchange(ref batches, 0), Messages: Interlocked.Exchange(ref messages, 0), Seconds: seconds);
            seconds = 0;
            return taken.Batches == 0 ? (0, 0, 0) : (taken.Batches, (double)taken.Messages / taken.Batches, taken.Seconds * 1000 / taken.Batches);
        }
    }

    public void Dispose() => listener.Dispose();
}
