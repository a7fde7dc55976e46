using Messenger.Gateway;
using Messenger.Gateway.Routing;
using Messenger.Gateway.Security;
using Messenger.ServiceDefaults;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGateway();

var app = builder.Build();
app.UseServiceDefaults();
app.UseSecurityHeaders();
app.UseWebClient();
app.UseClientRateLimits();
app.UseUploadLimits();
app.MapReverseProxy();
app.MapScalarApiReference("/api-docs", options =>
{
    options.Title = "Messenger API";
    options.OpenApiRoutePattern = "/openapi/{documentName}.json";
    foreach (var service in ServiceRoutes.Services)
    {
        options.AddDocument(service);
    }
});
app.MapDefaultEndpoints();
app.Run();
