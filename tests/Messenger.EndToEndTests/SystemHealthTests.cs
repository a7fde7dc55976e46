using System.Net;
using System.Net.Http.Json;
using Messenger.EndToEndTests.Infrastructure;

namespace Messenger.EndToEndTests;

public sealed class SystemHealthTests(MessengerApp messenger)
{
    [Fact]
    public async Task Auth_is_ready_with_its_PostgreSQL_database_and_Redis_healthy()
    {
        using var client = messenger.CreateClient("auth");

        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
        var report = await response.Content.ReadFromJsonAsync<ReadinessReport>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(report);
        Assert.Equal("Healthy", report.Status);
        Assert.Contains(report.Checks, check => check is { Name: "postgres", Status: "Healthy" });
        Assert.Contains(report.Checks, check => check is { Name: "redis", Status: "Healthy" });
    }

    private sealed record ReadinessReport(string Status, IReadOnlyList<ReadinessCheck> Checks);

    private sealed record ReadinessCheck(string Name, string Status, string? Description);
}
