using System.Diagnostics.Metrics;

namespace Chat.Api.Realtime;

/// <summary>
/// Chat's meter. The stages of a message's way through an instance are histograms of their own, so
/// a latency target that is missed can be traced to the stage that costs the time.
/// </summary>
internal static class ChatMetrics
{
    public static readonly Meter Meter = new("Messenger.Chat");
}
