using System.Data.Common;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace Messenger.ServiceDefaults;

/// <summary>
/// Turns exceptions into problem details: a client's mistake becomes a precise 4xx, an
/// unavailable dependency becomes 503 with <c>Retry-After</c>, and only a bug is a 500
/// (logged, with no internals in the body).
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problemDetails, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        var problem = exception is OperationCanceledException && !httpContext.RequestAborted.IsCancellationRequested
            ? Unavailable() // our own timeout, not the client leaving
            : Classify(exception);
        if (problem.Status >= 500 && problem.Status != StatusCodes.Status503ServiceUnavailable)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }
        else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            LogDependencyUnavailable(logger, exception.GetType().Name, exception.Message);
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    private static ProblemDetails Classify(Exception exception) => exception switch
    {
        BadHttpRequestException bad => new ProblemDetails
        {
            Status = bad.StatusCode,
            Title = bad.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "Request body too large",
                StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
                _ => "Malformed request",
            },
            Detail = Describe(bad),
        },
        JsonException json => new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Malformed JSON",
            Detail = json.Message,
        },
        // A SocketException escapes HttpClient unwrapped when a dependency resets a connection right
        // after accepting it (reading the new socket's remote end point fails); it is still the dependency.
        RedisException or DbException or BrokenCircuitException or TimeoutRejectedException or HttpRequestException or TimeoutException
            or SocketException
            => Unavailable(),
        OperationCanceledException => new ProblemDetails
        {
            Status = 499,
            Title = "Request cancelled",
        },
        _ => new ProblemDetails
        {
            Status = StatusCodes.Status500InternalServerError,
            Title = "Unexpected error",
            Detail = "The error was logged. Quote the traceId when reporting it.",
        },
    };

    private static ProblemDetails Unavailable() => new()
    {
        Status = StatusCodes.Status503ServiceUnavailable,
        Title = "Service temporarily unavailable",
        Detail = "A dependency of this service is unavailable. Retry after the time in Retry-After.",
    };

    // The framework's message names the parameter; the inner JSON error names the path and line.
    private static string Describe(BadHttpRequestException bad) =>
        bad.InnerException is JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, PathString path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dependency unavailable ({ExceptionType}): {Reason}")]
    private static partial void LogDependencyUnavailable(ILogger logger, string exceptionType, string reason);
}
