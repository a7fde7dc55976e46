using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Messenger.ServiceDefaults;

/// <summary>
/// Writes the readiness report as JSON so an operator sees which store is down. The reasons (error
/// messages naming internal hosts and ports) are shown in Development only: the gateway's report is
/// public, and elsewhere they are in the logs and traces.
/// </summary>
internal static class HealthResponseWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var detailed = context.RequestServices.GetRequiredService<IHostEnvironment>().IsDevelopment();
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            totalMilliseconds = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                milliseconds = e.Value.Duration.TotalMilliseconds,
                description = detailed ? e.Value.Description ?? e.Value.Exception?.Message : null,
            }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JsonSerializerOptions.Web, context.RequestAborted);
    }
}
