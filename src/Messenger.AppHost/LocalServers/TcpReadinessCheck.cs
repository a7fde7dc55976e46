using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messenger.AppHost.LocalServers;

/// <summary>
/// Connects to a local server over TCP and asks it one protocol-level question: a listening socket
/// alone does not mean the server takes requests (PostgreSQL still starting, Redis loading its
/// append-only file).
/// </summary>
internal abstract class TcpReadinessCheck(EndpointReference endpoint) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!endpoint.IsAllocated)
        {
            return HealthCheckResult.Unhealthy("The port is not allocated yet.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", endpoint.Port, timeout.Token);
            await using var stream = client.GetStream();
            return await ProbeAsync(stream, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"127.0.0.1:{endpoint.Port} does not answer: {e.Message}");
        }
    }

    protected abstract Task<HealthCheckResult> ProbeAsync(NetworkStream stream, CancellationToken cancellationToken);

    protected static async Task<byte[]> ReadSomeAsync(NetworkStream stream, int maxLength, CancellationToken cancellationToken)
    {
        var buffer = new byte[maxLength];
        var read = await stream.ReadAsync(buffer, cancellationToken);
        if (read == 0)
        {
            throw new IOException("The server closed the connection.");
        }

        return buffer[..read];
    }
}
