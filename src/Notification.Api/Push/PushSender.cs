using System.Collections.Concurrent;
using System.Net;
using Lib.Net.Http.WebPush;
using Lib.Net.Http.WebPush.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Notification.Api.Data;
using Notification.Api.Delivery;
using Notification.Api.Domain;
using Notification.Api.Extensions;

namespace Notification.Api.Push;

/// <summary>
/// Sends the queued Web Pushes (<c>push_deliveries</c>). Instances share the queue: each claims a batch
/// (<c>FOR UPDATE SKIP LOCKED</c>) and marks it as taken for a while, so a crashed instance's batch is
/// taken over later. A push is skipped when the notification was read or withdrawn meanwhile, or, on
/// its first attempt, when the user has a live stream open (it was delivered there). A push service
/// answering 404 or 410 loses the subscription; 429, 5xx and network errors are retried with
/// exponential back-off, respecting <c>Retry-After</c>.
/// </summary>
internal sealed partial class PushSender(
    IServiceScopeFactory scopes,
    IHttpClientFactory httpClients,
    VapidKeys vapid,
    LiveStreams live,
    ChangePublisher publisher,
    PushSignal signal,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<PushSender> logger) : BackgroundService
{
    public const string HttpClientName = "webpush";

    private readonly PushOptions settings = options.Value.Push;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var claimed = await SendDueAsync(stoppingToken);
                failures = 0;
                if (claimed < settings.BatchSize)
                {
                    await signal.WaitAsync(settings.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                failures++;
                LogSenderFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures)), time, stoppingToken);
            }
        }
    }

    /// <summary>Claims and sends one batch of due pushes; returns how many were claimed.</summary>
    internal async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        List<PushDelivery> batch;
        Dictionary<Guid, PushSubscriptionRow> subscriptions;
        Dictionary<Guid, NotificationRow> notifications;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<NotificationDbContext>();
            var lockedUntil = now + settings.SendTimeout * 2 + TimeSpan.FromSeconds(30);
            batch = await db.PushDeliveries.FromSql($"""
                UPDATE push_deliveries AS d SET locked_until = {lockedUntil}
                FROM (SELECT id FROM push_deliveries
                      WHERE next_attempt_at <= {now} AND (locked_until IS NULL OR locked_until < {now})
                      ORDER BY next_attempt_at LIMIT {settings.BatchSize}
                      FOR UPDATE SKIP LOCKED) AS due
                WHERE d.id = due.id
                RETURNING d.*
                """).AsNoTracking().ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return 0;
            }

            var subscriptionIds = batch.Select(d => d.SubscriptionId).Distinct().ToList();
            var notificationIds = batch.Select(d => d.NotificationId).Distinct().ToList();
            subscriptions = await db.PushSubscriptions.AsNoTracking().Where(s => subscriptionIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, cancellationToken);
            notifications = await db.Notifications.AsNoTracking().Where(n => notificationIds.Contains(n.Id)).ToDictionaryAsync(n => n.Id, cancellationToken);
        }

        var outcomes = new ConcurrentBag<(PushDelivery Delivery, Outcome Outcome)>();
        await Parallel.ForEachAsync(
            batch,
            new ParallelOptions { MaxDegreeOfParallelism = settings.MaxParallelSends, CancellationToken = cancellationToken },
            async (delivery, ct) =>
            {
                var outcome = subscriptions.TryGetValue(delivery.SubscriptionId, out var subscription)
                              && notifications.TryGetValue(delivery.NotificationId, out var notification)
                    ? await SendAsync(delivery, subscription, notification, ct)
                    : Outcome.Drop;
                outcomes.Add((delivery, outcome));
            });

        await RecordAsync(outcomes, cancellationToken);
        return batch.Count;
    }

    private async Task<Outcome> SendAsync(PushDelivery delivery, PushSubscriptionRow subscription, NotificationRow notification, CancellationToken cancellationToken)
    {
        if (notification.ReadAt is not null || notification.WithdrawnAt is not null)
        {
            return Outcome.Drop;
        }

        if (delivery.Attempts == 0 && await live.CountLiveAsync(notification.UserId) > 0)
        {
            return Outcome.DeliveredLive;
        }

        var target = new PushSubscription { Endpoint = subscription.Endpoint };
        target.SetKey(PushEncryptionKeyName.P256DH, subscription.P256dh);
        target.SetKey(PushEncryptionKeyName.Auth, subscription.Auth);
        var message = new PushMessage(publisher.Serialize(NotificationView.From(notification)))
        {
            // Replaces an undelivered push of an earlier state of the same notification.
            Topic = notification.Id.ToString("N"),
            TimeToLive = (int)settings.TimeToLive.TotalSeconds,
            Urgency = PushMessageUrgency.Normal,
        };

        var client = new PushServiceClient(httpClients.CreateClient(HttpClientName))
        {
            AutoRetryAfter = false,
            DefaultAuthentication = vapid.Authentication,
            DefaultAuthenticationScheme = VapidAuthenticationScheme.Vapid,
        };
        try
        {
            await client.RequestPushMessageDeliveryAsync(target, message, cancellationToken);
            return Outcome.Sent;
        }
        catch (PushServiceClientException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            LogSubscriptionGone(logger, subscription.Id, (int)ex.StatusCode);
            return Outcome.SubscriptionGone;
        }
        catch (PushServiceClientException ex) when (ex.StatusCode is HttpStatusCode.TooManyRequests || (int)ex.StatusCode >= 500)
        {
            LogPushDeferred(logger, subscription.Id, (int)ex.StatusCode, delivery.Attempts + 1);
            return Outcome.Retry(RetryAfter(ex));
        }
        catch (PushServiceClientException ex)
        {
            LogPushRefused(logger, subscription.Id, (int)ex.StatusCode, ex.Body);
            return Outcome.Drop;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogPushDeferred(logger, subscription.Id, 0, delivery.Attempts + 1);
            return Outcome.Retry(null);
        }
    }

    private TimeSpan? RetryAfter(PushServiceClientException ex) => ex.Headers?.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow(),
        _ => null,
    };

    private async Task RecordAsync(IEnumerable<(PushDelivery Delivery, Outcome Outcome)> outcomes, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationDbContext>();
        var now = time.GetUtcNow();
        foreach (var (delivery, outcome) in outcomes)
        {
            switch (outcome.Kind)
            {
                case OutcomeKind.SubscriptionGone:
                    // Its queued pushes go with it (cascade).
                    await db.PushSubscriptions.Where(s => s.Id == delivery.SubscriptionId).ExecuteDeleteAsync(cancellationToken);
                    break;
                case OutcomeKind.Retry when delivery.Attempts + 1 < settings.MaxAttempts:
                    var backoff = Backoff(delivery.Attempts + 1);
                    var wait = outcome.RetryAfter is { } asked && asked > backoff ? asked : backoff;
                    await db.PushDeliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(set => set
                        .SetProperty(d => d.Attempts, delivery.Attempts + 1)
                        .SetProperty(d => d.NextAttemptAt, now + wait)
                        .SetProperty(d => d.LockedUntil, (DateTimeOffset?)null), cancellationToken);
                    break;
                case OutcomeKind.Retry:
                    LogPushAbandoned(logger, delivery.SubscriptionId, delivery.Attempts + 1);
                    await DequeueAsync(db, delivery, now, cancellationToken);
                    break;
                case OutcomeKind.Sent:
                    await db.PushSubscriptions.Where(s => s.Id == delivery.SubscriptionId)
                        .ExecuteUpdateAsync(set => set.SetProperty(s => s.LastDeliveredAt, now), cancellationToken);
                    await DequeueAsync(db, delivery, now, cancellationToken);
                    break;
                default:
                    await DequeueAsync(db, delivery, now, cancellationToken);
                    break;
            }
        }
    }

    /// <summary>Removes a finished push, unless the notification changed while it was being sent: then the newer state goes out next.</summary>
    private static async Task DequeueAsync(NotificationDbContext db, PushDelivery delivery, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var removed = await db.PushDeliveries.Where(d => d.Id == delivery.Id && d.Version == delivery.Version).ExecuteDeleteAsync(cancellationToken);
        if (removed == 0)
        {
            await db.PushDeliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(set => set
                .SetProperty(d => d.Attempts, 0)
                .SetProperty(d => d.NextAttemptAt, now)
                .SetProperty(d => d.LockedUntil, (DateTimeOffset?)null), cancellationToken);
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var delay = settings.InitialRetryDelay * Math.Pow(2, Math.Min(attempt - 1, 20));
        return delay < settings.MaxRetryDelay ? delay : settings.MaxRetryDelay;
    }

    private enum OutcomeKind
    {
        Sent,
        DeliveredLive,
        Drop,
        SubscriptionGone,
        Retry,
    }

    private readonly record struct Outcome(OutcomeKind Kind, TimeSpan? RetryAfter)
    {
        public static readonly Outcome Sent = new(OutcomeKind.Sent, null);
        public static readonly Outcome DeliveredLive = new(OutcomeKind.DeliveredLive, null);
        public static readonly Outcome Drop = new(OutcomeKind.Drop, null);
        public static readonly Outcome SubscriptionGone = new(OutcomeKind.SubscriptionGone, null);

        public static Outcome Retry(TimeSpan? after) => new(OutcomeKind.Retry, after);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The push sender failed; it tries again shortly")]
    private static partial void LogSenderFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Push subscription {SubscriptionId} is gone (HTTP {Status}); removed")]
    private static partial void LogSubscriptionGone(ILogger logger, Guid subscriptionId, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Push to subscription {SubscriptionId} deferred (HTTP {Status}, attempt {Attempt})")]
    private static partial void LogPushDeferred(ILogger logger, Guid subscriptionId, int status, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push to subscription {SubscriptionId} refused (HTTP {Status}): {Body}")]
    private static partial void LogPushRefused(ILogger logger, Guid subscriptionId, int status, string body);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push to subscription {SubscriptionId} given up after {Attempts} attempts")]
    private static partial void LogPushAbandoned(ILogger logger, Guid subscriptionId, int attempts);
}
