using System.Net.WebSockets;
using Chat.Api.Extensions;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;

namespace Chat.Api.Realtime;

/// <summary>
/// Opens and closes chat sockets: registers a connection (and its user's route and presence)
/// before the upgrade is answered, so nothing sent to the user from then on is missed, runs it,
/// and unregisters it. Closes every socket of a session revoked anywhere with 1008.
/// </summary>
internal sealed partial class ChatSockets(
    ConnectionRegistry registry,
    InstanceRouter router,
    Presence presence,
    ChatFrameHandler handler,
    ISessionRevocations revocations,
    IOptions<ChatOptions> options,
    ILogger<ChatSockets> logger) : IHostedService
{
    public async Task RunAsync(HttpContext http)
    {
        var user = http.User;
        var settings = options.Value;
        var connection = new ChatConnection(user.GetUserId(), user.GetSessionId(), user.GetUsername(), settings);
        var first = registry.Add(connection);
        try
        {
            if (first)
            {
                await router.UserConnectedAsync(connection.UserId);
            }

            await presence.ConnectedAsync(connection.UserId);
            using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = settings.KeepAliveInterval,
                KeepAliveTimeout = settings.KeepAliveTimeout,
            });
            await connection.RunAsync(socket, handler.HandleAsync, http.RequestAborted);
        }
        finally
        {
            if (registry.Remove(connection))
            {
                await IgnoreRedisFailure(router.UserDisconnectedAsync(connection.UserId));
            }

            await IgnoreRedisFailure(presence.DisconnectedAsync(connection));
            if (connection.DropReason is { } reason)
            {
                LogDropped(logger, connection.UserId, reason);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => revocations.SubscribeAsync(sessionId =>
    {
        foreach (var connection in registry.All.Where(c => c.SessionId == sessionId))
        {
            connection.Close(WebSocketCloseStatus.PolicyViolation, "The session was revoked.");
        }
    });

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var connection in registry.All)
        {
            connection.Close(WebSocketCloseStatus.EndpointUnavailable, "The server is restarting; reconnect.");
        }

        return Task.CompletedTask;
    }

    private async Task IgnoreRedisFailure(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex.IsRedisFailure())
        {
            // Route and presence entries expire by themselves.
            LogCleanupFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped a chat socket of user {UserId}: {Reason}")]
    private static partial void LogDropped(ILogger logger, Guid userId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not clear a closed socket's route or presence in Redis")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
