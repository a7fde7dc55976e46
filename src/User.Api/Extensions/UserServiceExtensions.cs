using Messenger.Contracts.Auth;
using Messenger.Contracts.Friendships;
using Messenger.EventBus;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Messenger.EventBus.Outbox;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Data;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using User.Api.Data;
using User.Api.Events;

namespace User.Api.Extensions;

public static class UserServiceExtensions
{
    public const string DatabaseName = "users";

    /// <summary>The consumer group of every instance of this service.</summary>
    public const string ConsumerGroup = "user";

    public static WebApplicationBuilder AddUserServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddMessengerRedis();
        builder.AddNpgsqlDbContext<WebApplicationBuilder, UsersDbContext>(DatabaseName, (sp, options) => options.AddOutboxInterceptor(sp));
        builder.AddEventBus();
        services.AddOutboxRelay<UsersDbContext>();
        services.AddProcessedEventsRetention<UsersDbContext>();

        // Profiles come from registrations; the friend graph (for "friends of friends" in search)
        // comes from Friendship's events.
        services.AddEventConsumer(ConsumerGroup)
            .Handle<UserRegistered, UserRegisteredHandler>()
            .Handle<UserDeleted, UserDeletedHandler>()
            .Handle<FriendRequestAccepted, FriendGraphHandler>()
            .Handle<FriendRemoved, FriendGraphHandler>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<ProfileSearch>();

        builder.AddMessengerAuthentication();
        return builder;
    }
}
