namespace Messenger.EventBus;

/// <summary>A wait that ends early when someone calls <see cref="Set"/>; many calls before a wait count as one.</summary>
internal sealed class WakeUpSignal : IDisposable
{
    private readonly SemaphoreSlim semaphore = new(0, 1);

    public void Set()
    {
        if (semaphore.CurrentCount > 0)
        {
            return;
        }

        try
        {
            semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another caller got there first.
        }
        catch (ObjectDisposedException)
        {
            // A late call after the waiter stopped.
        }
    }

    /// <summary>Waits for <see cref="Set"/> or <paramref name="timeout"/>, whichever comes first.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => semaphore.WaitAsync(timeout, cancellationToken);

    public void Dispose() => semaphore.Dispose();
}
