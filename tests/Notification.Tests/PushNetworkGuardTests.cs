using System.Net;
using System.Net.Sockets;
using Notification.Api.Push;

namespace Notification.Tests;

/// <summary>Pushes outside Development reach only the public internet, whatever endpoint a client registered.</summary>
public sealed class PushNetworkGuardTests
{
    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("192.168.0.1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd12:3456::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    public void Only_internet_addresses_are_public(string address, bool isPublic) =>
        Assert.Equal(isPublic, PushNetworkGuard.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task A_host_name_that_resolves_to_this_machine_is_refused_before_any_connection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = PushNetworkGuard.PublicOnly() });

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.PostAsync($"http://localhost:{port}/push/1", new ByteArrayContent([1]), TestContext.Current.CancellationToken));

        Assert.Contains("no public address", refused.Message, StringComparison.Ordinal);
        Assert.False(listener.Pending());
    }
}
