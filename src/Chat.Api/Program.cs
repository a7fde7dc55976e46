using Chat.Api.Api;
using Chat.Api.Extensions;
using Messenger.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddChatServices();
builder.AddChatAttachments();

var app = builder.Build();
app.UseChatSockets();
app.UseServiceDefaults();
app.MapConversationsApi();
app.MapMessagesApi();
app.MapAttachmentsApi();
app.MapDefaultEndpoints();
app.Run();
