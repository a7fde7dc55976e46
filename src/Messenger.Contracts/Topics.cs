namespace Messenger.Contracts;

/// <summary>The event log's topics (DESIGN §1). Dead letters go to <c>{topic}.dlq</c>.</summary>
public static class Topics
{
    public const string AuthUsers = "auth.users";
    public const string UserProfiles = "users.profiles";
    public const string Friendships = "friendships";
    public const string ChatMessages = "chat.messages";

    public static string DeadLetter(string topic) => topic + ".dlq";
}
