using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Messenger.ServiceDefaults.Authentication;

public static class AuthenticationExtensions
{
    /// <summary>
    /// JWT bearer authentication against Auth's signing keys, with the revoked-session check.
    /// Every endpoint requires an authenticated user unless it opts out with <c>AllowAnonymous</c>.
    /// Requires <see cref="Redis.RedisExtensions.AddMessengerRedis{TBuilder}"/>.
    /// </summary>
    public static TBuilder AddMessengerAuthentication<TBuilder>(this TBuilder builder, Action<JwtBearerOptions>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<JwtOptions>()
            .BindConfiguration(JwtOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ISessionRevocations, RedisSessionRevocations>();
        builder.Services.AddSingleton<SessionActivity>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>>((options, jwtOptions) =>
            {
                var jwt = jwtOptions.Value;
                options.MapInboundClaims = false;
                // Nothing reads the token back from the authentication properties, and a chat socket or
                // notification stream would keep that copy for as long as it is open.
                options.SaveToken = false;
                options.Authority = jwt.Authority;
                options.RequireHttpsMetadata = jwt.Authority?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true;
                options.RefreshOnIssuerKeyNotFound = true;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = jwt.Issuer,
                    ValidAudience = jwt.Audience,
                    ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                    NameClaimType = MessengerClaims.Name,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                options.Events = new JwtBearerEvents
                {
                    OnMessageReceived = ReadTokenFromQueryForStreams,
                    OnTokenValidated = RejectRevokedSessions,
                };
                configure?.Invoke(options);
            });

        builder.Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, RoutingRejectionPassThrough>();
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    // Browsers cannot set headers on a WebSocket or an EventSource, so those two may carry the
    // token as ?access_token=. Plain requests may not: URLs end up in logs and histories.
    private static Task ReadTokenFromQueryForStreams(MessageReceivedContext context)
    {
        var request = context.HttpContext.Request;
        if (string.IsNullOrEmpty(context.Token)
            && request.Query.TryGetValue("access_token", out var token)
            && (context.HttpContext.WebSockets.IsWebSocketRequest || AcceptsEventStream(request)))
        {
            context.Token = token;
        }

        return Task.CompletedTask;
    }

    private static bool AcceptsEventStream(HttpRequest request) =>
        request.Headers.Accept.Any(v => v?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true);

    private static async Task RejectRevokedSessions(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        if (!Guid.TryParse(principal.FindFirst(MessengerClaims.SessionId)?.Value, out var sessionId)
            || !Guid.TryParse(principal.FindFirst(MessengerClaims.Subject)?.Value, out _))
        {
            context.Fail("The token has no session or subject.");
            return;
        }

        var revocations = context.HttpContext.RequestServices.GetRequiredService<ISessionRevocations>();
        if (await revocations.IsRevokedAsync(sessionId))
        {
            context.Fail("The session was revoked.");
            return;
        }

        context.HttpContext.RequestServices.GetRequiredService<SessionActivity>().Touch(sessionId);
    }
}
