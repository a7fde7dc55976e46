using Messenger.Testing.Internal;

namespace Messenger.Testing;

/// <summary>Loopback ports for tests.</summary>
public static class LoopbackPorts
{
    /// <summary>A port nothing listens on (one the kernel just handed out and that was let go): a dependency that is down.</summary>
    public static int Closed() => FreePort.Pick();
}
