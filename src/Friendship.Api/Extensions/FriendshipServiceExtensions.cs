using Friendship.Api.Data;
using Friendship.Api.Domain;
using Friendship.Api.Events;
using Friendship.Api.Users;
using Messenger.Contracts.Auth;
using Messenger.Contracts.Users;
using Messenger.EventBus;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Idempotency;
using Messenger.EventBus.Outbox;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Data;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Friendship.Api.Extensions;

public static class FriendshipServiceExtensions
{
    public const string DatabaseName = "friendships";

    /// <summary>The consumer group of every instance of this service.</summary>
    public const string ConsumerGroup = "friendship";

    public static WebApplicationBuilder AddFriendshipServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddMessengerRedis();
        builder.AddNpgsqlDbContext<WebApplicationBuilder, FriendshipDbContext>(DatabaseName, (sp, options) => options.AddOutboxInterceptor(sp));
        builder.AddEventBus();
        services.AddOutboxRelay<FriendshipDbContext>();
        services.AddProcessedEventsRetention<FriendshipDbContext>();

        // Blocks are copied from User's events, so checking a request never waits on User for them.
        services.AddEventConsumer(ConsumerGroup)
            .Handle<UserBlocked, UserBlocksHandler>()
            .Handle<UserUnblocked, UserBlocksHandler>()
            .Handle<UserDeleted, UserDeletedHandler>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<FriendGraph>();
        AddUserDirectory(services);

        builder.AddMessengerAuthentication();
        return builder;
    }

    private static void AddUserDirectory(IServiceCollection services)
    {
        services.AddOptions<UserServiceOptions>().BindConfiguration(UserServiceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpContextAccessor();
        services.AddTransient<ForwardAuthorizationHandler>();
        // The service defaults give every client one shared standard pipeline with limits meant for
        // slow partners (10 s a try, 30 s in all, 2 s between retries); a person waiting on a friend
        // request needs shorter ones, so this client gets its own pipeline in its place.
        services.AddHttpClient<UserDirectory>(UserDirectory.HttpClientName, (sp, http) =>
                http.BaseAddress = new Uri(sp.GetRequiredService<IOptions<UserServiceOptions>>().Value.User.TrimEnd('/') + "/"))
            .AddHttpMessageHandler<ForwardAuthorizationHandler>()
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler()
            .Configure((resilience, sp) =>
            {
                var limits = sp.GetRequiredService<IOptions<UserServiceOptions>>().Value;
                resilience.AttemptTimeout.Timeout = limits.UserAttemptTimeout;
                resilience.TotalRequestTimeout.Timeout = limits.UserTotalTimeout;
                resilience.Retry.MaxRetryAttempts = 2;
                resilience.Retry.Delay = TimeSpan.FromMilliseconds(100);
                resilience.Retry.DisableForUnsafeHttpMethods();
                resilience.CircuitBreaker.FailureRatio = 0.5;
                resilience.CircuitBreaker.MinimumThroughput = 10;
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(Math.Max(10, 2 * limits.UserAttemptTimeout.TotalSeconds));
                resilience.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(5);
            });
    }
}
