using Auth.Api.Api;
using Auth.Api.Extensions;
using Messenger.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddAuthServices();

var app = builder.Build();
app.UseServiceDefaults();
app.MapAccountsApi();
app.MapAccountApi();
app.MapSessionsApi();
app.MapOAuthApi();
app.MapKeysApi();
app.MapDefaultEndpoints();
app.Run();
