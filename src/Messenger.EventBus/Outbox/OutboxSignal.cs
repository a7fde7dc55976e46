namespace Messenger.EventBus.Outbox;

/// <summary>
/// Wakes the outbox relay of this process. EF Core writes raise it by themselves (through the outbox
/// interceptor); code that inserts rows with <see cref="OutboxWriter"/> calls <see cref="Notify"/> after its commit.
/// </summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly WakeUpSignal signal = new();

    public void Notify() => signal.Set();

    internal Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => signal.WaitAsync(timeout, cancellationToken);

    public void Dispose() => signal.Dispose();
}
