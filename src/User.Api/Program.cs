using Messenger.ServiceDefaults;
using User.Api.Api;
using User.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddUserServices();

var app = builder.Build();
app.UseServiceDefaults();
app.MapSearchApi();
app.MapBlocksApi();
app.MapProfilesApi();
app.MapDirectoryApi();
app.MapDefaultEndpoints();
app.Run();
