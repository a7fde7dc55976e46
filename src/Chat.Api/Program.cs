using Chat.Api.Api;
using Chat.Api.Extensions;
using Messenger.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddChatServices();

var app = builder.Build();
app.UseChatSockets();
app.UseServiceDefaults();
app.MapConversationsApi();
app.MapMessagesApi();
app.MapDefaultEndpoints();
app.Run();
