using Messenger.ServiceDefaults;
using Notification.Api.Api;
using Notification.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNotificationServices();

var app = builder.Build();
app.UseServiceDefaults();
app.MapNotificationsApi();
app.MapNotificationStreamApi();
app.MapSettingsApi();
app.MapPushSubscriptionsApi();
app.MapDefaultEndpoints();
app.Run();
