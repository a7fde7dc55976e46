using System.Net;
using System.Net.Sockets;

namespace Notification.Api.Push;

/// <summary>
/// Push endpoints come from clients, so the server must not become a way into its own network: a
/// subscription naming <c>https://10.0.0.5/…</c> or a host name that resolves to an internal address
/// would make it POST there. Outside Development, pushes connect only to public addresses, checked
/// on the address actually connected to (so a DNS answer cannot change between check and use).
/// </summary>
public static class PushNetworkGuard
{
    /// <summary>Whether <paramref name="address"/> belongs to the public internet.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var first = address.GetAddressBytes()[0];
            // Link-local, site-local, unique local (fc00::/7) and multicast are not the internet.
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (first & 0xFE) == 0xFC);
        }

        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 or 10 or 127 => false,
            100 when b[1] is >= 64 and <= 127 => false, // carrier-grade NAT
            169 when b[1] == 254 => false, // link-local, cloud metadata services
            172 when b[1] is >= 16 and <= 31 => false,
            192 when b[1] == 168 => false,
            192 when b[1] == 0 && b[2] == 0 => false,
            198 when b[1] is 18 or 19 => false, // benchmarking
            >= 224 => false, // multicast, reserved, broadcast
            _ => true,
        };
    }

    /// <summary>
    /// A connect callback for the push client's <see cref="SocketsHttpHandler"/> that resolves the host
    /// and connects to its first public address; a host with none is refused.
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> PublicOnly() =>
        async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var target = addresses.FirstOrDefault(IsPublic)
                ?? throw new HttpRequestException(HttpRequestError.ConnectionError, $"The push endpoint's host {host} has no public address.");

            var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(target, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}
