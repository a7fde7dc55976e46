using Chat.Api.Data;
using Chat.Api.Data.Mongo;
using Chat.Api.Domain;
using Chat.Api.Events;
using Chat.Api.Realtime;
using Messenger.Contracts.Auth;
using Messenger.Contracts.Users;
using Messenger.EventBus;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Outbox;
using Messenger.ServiceDefaults;
using Messenger.ServiceDefaults.Authentication;
using Messenger.ServiceDefaults.Data;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MongoDB.Driver;
using Npgsql;

namespace Chat.Api.Extensions;

public static class ChatServiceExtensions
{
    public const string DatabaseName = "chat";
    public const string ConsumerGroup = "chat";
    public const string MongoConnectionName = "mongodb";

    public static WebApplicationBuilder AddChatServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddMessengerRedis();
        builder.AddNpgsqlDbContext<WebApplicationBuilder, ChatDbContext>(DatabaseName, (sp, options) => options.AddOutboxInterceptor(sp));
        builder.AddEventBus();
        services.AddOutboxRelay<ChatDbContext>();
        builder.AddMessengerAuthentication();

        services.AddOptions<ChatOptions>().BindConfiguration(ChatOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        // The hot paths talk to PostgreSQL without EF Core, through one pooled data source with prepared statements.
        var connectionString = builder.Configuration.GetRequiredConnectionString(DatabaseName,
            "an Npgsql connection string such as Host=127.0.0.1;Port=5432;Username=postgres;Database=chat");
        services.AddSingleton(_ =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(connectionString);
            dataSource.ConnectionStringBuilder.MaxAutoPrepare = Math.Max(dataSource.ConnectionStringBuilder.MaxAutoPrepare, 64);
            dataSource.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
            // Chat's own statements never change session state, so a pooled connection needs no reset.
            dataSource.ConnectionStringBuilder.NoResetOnClose = true;
            return dataSource.Build();
        });

        if (string.Equals(builder.Configuration[$"{ChatOptions.SectionName}:Store"], ChatStores.MongoDb, StringComparison.OrdinalIgnoreCase))
        {
            var mongo = builder.Configuration.GetRequiredConnectionString(MongoConnectionName, "a MongoDB connection string such as mongodb://127.0.0.1:27017");
            services.AddSingleton<IMongoClient>(_ => new MongoClient(mongo));
            services.AddHealthChecks().AddCheck<MongoHealthCheck>("mongodb");
            services.AddSingleton<IMessageStore>(sp => new MongoMessageStore(
                sp.GetRequiredService<IMongoClient>().GetDatabase(sp.GetRequiredService<IOptions<ChatOptions>>().Value.Mongo.Database),
                sp.GetRequiredService<NpgsqlDataSource>()));
        }
        else
        {
            services.AddSingleton<IMessageStore, PostgresMessageStore>();
        }

        services.AddSingleton<ConversationDirectory>();
        services.AddHostedService(sp => sp.GetRequiredService<ConversationDirectory>());
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<InstanceRouter>();
        services.AddHostedService(sp => sp.GetRequiredService<InstanceRouter>());
        services.AddSingleton<FanOut>();
        services.AddSingleton<Presence>();
        services.AddHostedService(sp => sp.GetRequiredService<Presence>());
        services.AddSingleton<MessageWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<MessageWriter>());
        services.AddSingleton<MessageActions>();
        services.AddSingleton<ChatFrameHandler>();
        services.AddSingleton<UserRateLimiter>();
        services.AddSingleton<ChatSockets>();
        services.AddHostedService(sp => sp.GetRequiredService<ChatSockets>());
        services.AddScoped<ConversationService>();
        services.AddSingleton<ConversationList>();

        services.AddEventConsumer(ConsumerGroup)
            .Handle<UserRegistered, UserRegisteredHandler>()
            .Handle<UserDeleted, UserDeletedHandler>()
            .Handle<UserBlocked, UserBlockHandler>()
            .Handle<UserUnblocked, UserBlockHandler>();
        return builder;
    }

    /// <summary>
    /// Lets <c>GET /chat</c> upgrade to the chat socket. Goes before authentication, which reads the
    /// token from <c>?access_token=</c> only for requests it can see are WebSocket upgrades.
    /// </summary>
    public static WebApplication UseChatSockets(this WebApplication app)
    {
        app.UseWebSockets();
        return app;
    }
}
