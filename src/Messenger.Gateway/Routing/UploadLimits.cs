using Microsoft.AspNetCore.Http.Features;

namespace Messenger.Gateway.Routing;

/// <summary>
/// The gateway's request bodies are as small as every service's (1 MB), except uploads: for
/// <c>POST /chat/attachments</c> it lets through up to <c>Gateway:MaxUploadBytes</c> (default
/// 51 MB, a little over Chat's own 50 MB limit, so Chat answers oversized files with its precise 413).
/// The body is streamed to Chat, never buffered here.
/// </summary>
public static class UploadLimits
{
    public const string ConfigurationKey = "Gateway:MaxUploadBytes";
    public const long DefaultMaxUploadBytes = 51L * 1024 * 1024;

    public static WebApplication UseUploadLimits(this WebApplication app)
    {
        var limit = app.Configuration.GetValue<long?>(ConfigurationKey) ?? DefaultMaxUploadBytes;
        app.Use((context, next) =>
        {
            if (HttpMethods.IsPost(context.Request.Method)
                && context.Request.Path.Equals("/chat/attachments", StringComparison.OrdinalIgnoreCase)
                && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = limit;
            }

            return next(context);
        });
        return app;
    }
}
