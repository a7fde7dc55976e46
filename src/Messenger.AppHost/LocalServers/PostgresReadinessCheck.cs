using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messenger.AppHost.LocalServers;

/// <summary>
/// Ready when the server answers a protocol 3.0 startup message with an authentication request or
/// success ('R'), as <c>pg_isready</c> decides; an error ('E') such as "the database system is
/// starting up" means not yet.
/// </summary>
internal sealed class PostgresReadinessCheck(EndpointReference endpoint, string user) : TcpReadinessCheck(endpoint)
{
    private const int ProtocolVersion3 = 196608;

    protected override async Task<HealthCheckResult> ProbeAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(StartupMessage(user), cancellationToken);
        var reply = await ReadSomeAsync(stream, 1024, cancellationToken);
        switch ((char)reply[0])
        {
            case 'R':
                await stream.WriteAsync(new byte[] { (byte)'X', 0, 0, 0, 4 }, cancellationToken); // Terminate
                return HealthCheckResult.Healthy();
            case 'E':
                return HealthCheckResult.Unhealthy("PostgreSQL refused the session: " + ErrorText(reply));
            default:
                return HealthCheckResult.Unhealthy($"Unexpected PostgreSQL reply '{(char)reply[0]}'.");
        }
    }

    private static byte[] StartupMessage(string user)
    {
        var parameters = Encoding.UTF8.GetBytes("user\0" + user + "\0database\0postgres\0\0");
        var message = new byte[8 + parameters.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), ProtocolVersion3);
        parameters.CopyTo(message, 8);
        return message;
    }

    // ErrorResponse fields are a type byte and a NUL-terminated string; 'M' is the message.
    private static string ErrorText(byte[] reply)
    {
        var fields = Encoding.UTF8.GetString(reply, 5, reply.Length - 5).Split('\0');
        return fields.FirstOrDefault(field => field.StartsWith('M'))?[1..] ?? "(no message)";
    }
}
