using Messenger.Contracts.Auth;
using Messenger.Contracts.Chat;
using Messenger.Contracts.Friendships;
using Messenger.EventBus;
using Messenger.EventBus.Consumers;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Data;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Notification.Api.Data;
using Notification.Api.Delivery;
using Notification.Api.Domain;
using Notification.Api.Events;
using Notification.Api.Push;

namespace Notification.Api.Extensions;

public static class NotificationServiceExtensions
{
    public const string DatabaseName = "notifications";

    /// <summary>The consumer group every instance of this service joins: they share the events.</summary>
    public const string ConsumerGroup = "notification";

    public static WebApplicationBuilder AddNotificationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddMessengerRedis();
        builder.AddNpgsqlDbContext<WebApplicationBuilder, NotificationDbContext>(DatabaseName);
        builder.AddEventBus();
        builder.AddMessengerAuthentication();

        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.AddScoped<NotificationWriter>();
        services.AddScoped<EventApplier>();
        services.AddSingleton<ViewingPresence>();
        services.AddSingleton<ChangePublisher>();
        services.AddSingleton<LiveStreams>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveStreams>());

        // Loaded before the push sender and the routes need them (hosted services start in order, after migrations).
        services.AddSingleton<VapidKeys>();
        services.AddHostedService<VapidKeyLoader>();
        services.AddSingleton<PushSignal>();
        services.AddSingleton<PushSender>();
        services.AddHostedService(sp => sp.GetRequiredService<PushSender>());
        // Each push goes to a different push service, so the shared pipeline (retries of its own, one
        // circuit breaker for all hosts) does not fit: the sender retries by itself, per push.
        services.AddTransient<VapidAudienceHandler>();
        services.AddHttpClient(PushSender.HttpClientName, (sp, http) =>
                http.Timeout = sp.GetRequiredService<IOptions<NotificationOptions>>().Value.Push.SendTimeout)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                // A push service answers; it never redirects. Outside Development only public addresses
                // are reached (the endpoint comes from a client); Development pushes to loopback.
                var handler = new SocketsHttpHandler { AllowAutoRedirect = false };
                if (!sp.GetRequiredService<IHostEnvironment>().IsDevelopment())
                {
                    handler.ConnectCallback = PushNetworkGuard.PublicOnly();
                }

                return handler;
            })
            .AddHttpMessageHandler<VapidAudienceHandler>()
            .RemoveAllResilienceHandlers();

        services.AddSingleton<NotificationRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationRetention>());

        services.AddEventConsumer(ConsumerGroup)
            .Handle<MessageSent, ChatEventsHandler>()
            .Handle<MessageEdited, ChatEventsHandler>()
            .Handle<MessageDeleted, ChatEventsHandler>()
            .Handle<MessagesRead, ChatEventsHandler>()
            .Handle<FriendRequestSent, FriendshipEventsHandler>()
            .Handle<FriendRequestAccepted, FriendshipEventsHandler>()
            .Handle<FriendRequestRejected, FriendshipEventsHandler>()
            .Handle<FriendRequestCancelled, FriendshipEventsHandler>()
            .Handle<UserDeleted, UserDeletedHandler>();
        return builder;
    }
}
