using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Messenger.ServiceDefaults.Authentication;

/// <summary>
/// Every route requires a signed-in user unless it opts out (the fallback policy). The fallback
/// also covers requests no route answers; for those (unknown path, 405 wrong method, 415 wrong
/// content type) routing's own answer is returned instead of 401, so anonymous clients get the
/// same precise error as signed-in ones.
/// </summary>
internal sealed class RoutingRejectionPassThrough : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult) =>
        !authorizeResult.Succeeded && context.GetEndpoint() is not RouteEndpoint
            ? next(context)
            : _default.HandleAsync(next, context, policy, authorizeResult);
}
