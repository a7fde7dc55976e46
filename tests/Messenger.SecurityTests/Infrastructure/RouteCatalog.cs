using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Messenger.SecurityTests.Infrastructure;

/// <summary>One route a running service answers: method and pattern as it was mapped.</summary>
public sealed record RouteInfo(string Service, string Method, string Pattern, bool AllowsAnonymous, Type? BodyType, IReadOnlyList<string> BodyContentTypes)
{
    /// <summary>How the rule table names the route: <c>chat GET /chat/{conversationId:guid}</c>.</summary>
    public string Key => $"{Service} {Method} {Pattern}";

    public override string ToString() => Key;
}

/// <summary>Reads the routes from the running apps' endpoint data sources, so a new route shows up by itself.</summary>
public static class RouteCatalog
{
    public static IReadOnlyList<RouteInfo> Read(IEnumerable<ServiceUnderTest> services) =>
    [
        .. from service in services
           from endpoint in service.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
           from method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]
           let accepts = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()
           orderby service.Name, endpoint.RoutePattern.RawText, method
           select new RouteInfo(
               service.Name,
               method,
               // A group's "" route ends in a slash; requests to it do not.
               "/" + endpoint.RoutePattern.RawText!.Trim('/'),
               endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null,
               accepts?.RequestType,
               accepts?.ContentTypes ?? []),
    ];
}
