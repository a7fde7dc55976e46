using Friendship.Api.Api;
using Friendship.Api.Extensions;
using Messenger.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFriendshipServices();

var app = builder.Build();
app.UseServiceDefaults();
app.MapFriendRequestsApi();
app.MapFriendsApi();
app.MapDefaultEndpoints();
app.Run();
