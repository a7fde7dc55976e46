using System.Threading.Channels;

namespace Notification.Api.Delivery;

/// <summary>What a stream writes next: a change of one of the user's notifications, or a heartbeat.</summary>
internal readonly record struct LiveItem(long Seq, string? Json)
{
    public static readonly LiveItem Heartbeat = new(0, null);

    public bool IsHeartbeat => Json is null;
}

/// <summary>One open <c>GET /notifications/stream</c> on this instance.</summary>
internal sealed class LiveStream(Guid userId, Guid sessionId, string id, int bufferSize) : IDisposable
{
    private readonly Channel<LiveItem> items = Channel.CreateBounded<LiveItem>(new BoundedChannelOptions(bufferSize)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly CancellationTokenSource ended = new();

    public Guid UserId => userId;

    public Guid SessionId => sessionId;

    /// <summary>Its member name in the user's set of live streams in Redis.</summary>
    public string Id => id;

    public ChannelReader<LiveItem> Items => items.Reader;

    /// <summary>Cancelled when the stream must end (session revoked, client too slow).</summary>
    public CancellationToken Ended => ended.Token;

    /// <summary>Queues an item; a client so far behind that the buffer is full is disconnected (it resumes with Last-Event-ID).</summary>
    public void Offer(LiveItem item)
    {
        if (!items.Writer.TryWrite(item) && !item.IsHeartbeat)
        {
            End();
        }
    }

    public void End()
    {
        try
        {
            ended.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => ended.Dispose();
}
