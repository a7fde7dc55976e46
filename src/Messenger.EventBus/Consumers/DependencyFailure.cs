using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace Messenger.EventBus.Consumers;

/// <summary>
/// Tells a handler that failed because something it depends on was out of reach (its database
/// restarting, Redis or another service not answering) from one that failed because of the event.
/// The first says nothing about the event: it is retried until the dependency is back, not parked
/// as poison after a few seconds of outage.
/// </summary>
internal static class DependencyFailure
{
    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Any(Is);
                // The provider knows: a lost connection or a server shutting down is transient, a
                // constraint violation is not.
                case DbException database:
                    return database.IsTransient;
                case RedisConnectionException or TimeoutException or SocketException or BrokenCircuitException or TimeoutRejectedException:
                    return true;
                case HttpRequestException http:
                    return http.StatusCode is null or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError;
            }
        }

        return false;
    }
}
