using Chat.Api.Api;
using Chat.Api.Extensions;
using Messenger.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddChatServices();

var app = builder.Build();
app.UseServiceDefaults();
app.UseChatSockets();
app.MapConversationsApi();
app.MapMessagesApi();
app.MapDefaultEndpoints();
app.Run();
