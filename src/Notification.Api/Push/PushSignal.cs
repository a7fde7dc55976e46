namespace Notification.Api.Push;

/// <summary>Wakes this instance's push sender when a transaction queued pushes, instead of waiting for its next poll.</summary>
public sealed class PushSignal : IDisposable
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Notify()
    {
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers everything queued so far.
        }
    }

    /// <summary>Returns when signalled or after <paramref name="timeout"/>.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => signal.WaitAsync(timeout, cancellationToken);

    public void Dispose() => signal.Dispose();
}
