using Messenger.AppHost;
using Messenger.AppHost.LocalServers;
using Microsoft.Extensions.DependencyInjection;

var builder = DistributedApplication.CreateBuilder(args);
builder.Services.AddHostedService<ResourceFailureLog>();
builder.Services.AddHostedService<ServiceShutdown>();

// Containers are not assumed: PostgreSQL and Redis run as local executables whose data lives under
// <repo>/.data (or Messenger:DataDirectory), so it survives restarts of the app host.
var dataDirectory = LocalDataDirectory.Resolve(builder);
var postgres = builder.AddLocalPostgres("postgres", dataDirectory);
var redis = builder.AddLocalRedis("redis", dataDirectory);

var messenger = new MessengerServices(builder, postgres, redis);
messenger.AddAuthority<Projects.Auth_Api>("auth", port: 5101, database: "auth");
var user = messenger.AddService<Projects.User_Api>("user", port: 5102, database: "users");
messenger.AddService<Projects.Friendship_Api>("friendship", port: 5103, database: "friendships")
    .WithEnvironment("Services__User", user.GetEndpoint("http"));
messenger.AddService<Projects.Chat_Api>("chat", port: 5104, database: "chat")
    .WithEnvironment("Chat__Attachments__Directory", Path.Combine(dataDirectory, "attachments"));
messenger.AddService<Projects.Notification_Api>("notification", port: 5105, database: "notifications");

// Last: the gateway routes to every service added above.
messenger.AddGateway<Projects.Messenger_Gateway>("gateway");

builder.Build().Run();
