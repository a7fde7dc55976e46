using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messenger.AppHost.LocalServers;

/// <summary>Ready when Redis answers PING with PONG; "-LOADING" while it replays the append-only file.</summary>
internal sealed class RedisReadinessCheck(EndpointReference endpoint) : TcpReadinessCheck(endpoint)
{
    protected override async Task<HealthCheckResult> ProbeAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
        var reply = Encoding.ASCII.GetString(await ReadSomeAsync(stream, 256, cancellationToken)).TrimEnd();
        return reply == "+PONG"
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("Redis answered PING with " + reply);
    }
}
