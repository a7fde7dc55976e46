using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Messenger.ServiceDefaults;

internal static class OpenApiSetup
{
    /// <summary>One OpenAPI document per service at <c>/openapi/v1.json</c>, declaring bearer tokens.</summary>
    public static IServiceCollection AddOpenApiWithBearer(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "An access token from POST /login, /register, /oauth or /token/refresh.",
            };
            return Task.CompletedTask;
        }));
}
