using Messenger.Testing.Internal;

namespace Messenger.Testing;

/// <summary>Loopback ports for tests.</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// A port nothing listens on now (one the kernel just handed out and that was let go): a
    /// dependency that is down, or a port to start a server on once its address must be known earlier.
    /// </summary>
    public static int Unused() => FreePort.Pick();
}
