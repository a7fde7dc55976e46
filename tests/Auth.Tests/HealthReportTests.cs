using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Auth.Tests;

/// <summary>The readiness report of any service (ServiceDefaults): why a check failed is shown only while developing.</summary>
public sealed class HealthReportTests
{
    private const string Secret = "store at 10.1.2.3:6379 refused the connection";

    [Theory]
    [InlineData("Development", true)]
    [InlineData("Production", false)]
    public async Task A_failed_check_names_its_reason_only_in_Development(string environment, bool shown)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck("store", () => HealthCheckResult.Unhealthy(Secret));
        await using var app = builder.Build();
        app.UseServiceDefaults();
        app.MapDefaultEndpoints();
        await app.StartAsync(TestContext.Current.CancellationToken);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var response = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var store = body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "store");
        Assert.Equal("Unhealthy", store.GetProperty("status").GetString());
        Assert.Equal(shown, (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Contains(Secret, StringComparison.Ordinal));
    }
}
