namespace Messenger.Testing.Internal;

/// <summary>
/// Serialises stop, restart and dispose of one server, and refuses them for a server the
/// harness does not run (one given by connection string).
/// </summary>
internal sealed class ServerLifecycle(object server, string? notManagedReason)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private bool disposed;

    public bool IsManaged => notManagedReason is null;

    public async Task RunAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        if (notManagedReason is not null)
        {
            throw new NotSupportedException(notManagedReason);
        }
        await gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, server);
            await action();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs the disposal once, even when several callers dispose at the same time.</summary>
    public async Task DisposeOnceAsync(Func<Task> action)
    {
        await gate.WaitAsync();
        try
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            await action();
        }
        finally
        {
            gate.Release();
        }
    }
}
