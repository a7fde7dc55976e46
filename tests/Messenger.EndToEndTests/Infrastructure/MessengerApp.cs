using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messenger.EndToEndTests.Infrastructure;

/// <summary>
/// The whole messenger as <c>scripts/run.sh</c> starts it (the Aspire app host: PostgreSQL, Redis
/// and every service), with random ports and a fresh data folder so it runs beside a developer's
/// own instance and never sees its data.
/// </summary>
public sealed class MessengerApp : IAsyncLifetime
{
    // Generous: on two cores the whole messenger starts beside another test project's (the browser
    // tests' or the other event log's), and its five services took 2.5 min to report healthy once.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(6);

    private static readonly string[] Services = ["auth", "user", "friendship", "chat", "notification", "gateway"];

    private readonly string dataDirectory =
        Path.Combine(Path.GetTempPath(), "messenger-e2e-" + Guid.NewGuid().ToString("N")[..12]);

    private DistributedApplication? app;

    public DistributedApplication App => app ?? throw new InvalidOperationException("The messenger has not started.");

    /// <summary>More app host arguments, e.g. <c>--Messenger:EventBus:Transport=kafka</c>.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Changes to the app model before it starts (extra settings for a service).</summary>
    public Action<IDistributedApplicationTestingBuilder>? Configure { get; init; }

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Messenger_AppHost>(
            ["--Messenger:DataDirectory=" + dataDirectory, .. Arguments], timeout.Token);

        // Tests run without the dashboard, so nothing receives telemetry; a service that still
        // exports it spends its shutdown retrying the missing endpoint (about 10 s).
        foreach (var service in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(service)
                .WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }

        Configure?.Invoke(builder);
        app = await builder.BuildAsync(timeout.Token);
        await app.StartAsync(timeout.Token);
        foreach (var service in Services)
        {
            try
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(service, timeout.Token);
            }
            catch (Exception e) when (e is DistributedApplicationException or OperationCanceledException)
            {
                throw new InvalidOperationException(
                    $"The messenger did not start: {e.Message}{Environment.NewLine}The last lines {service} wrote:{Environment.NewLine}" +
                    await LastLogLinesAsync(service), e);
            }
        }
    }

    private async Task<string> LastLogLinesAsync(string resourceName)
    {
        var resource = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource).WithCancellation(timeout.Token))
            {
                lines.AddRange(batch.Select(line => line.Content));
            }
        }
        catch (OperationCanceledException)
        {
            // Whatever arrived in time is enough to explain the failure.
        }

        return string.Join(Environment.NewLine, lines.TakeLast(40));
    }

    /// <summary>An HTTP client whose base address is the service's endpoint.</summary>
    public HttpClient CreateClient(string service) => App.CreateHttpClient(service);

    /// <summary>The base URL of a resource's HTTP endpoint (e.g. <c>gateway</c>).</summary>
    public Uri Endpoint(string resource) => App.GetEndpoint(resource, "http");

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
