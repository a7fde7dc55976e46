namespace Messenger.Contracts.Auth;

/// <summary>An account was created (by password or by an external login).</summary>
public sealed record UserRegistered(Guid UserId, string Username, string? DisplayName, string? Email, DateTimeOffset RegisteredAt)
    : IIntegrationEvent
{
    public static string EventType => "UserRegistered";
    public static string Topic => Topics.AuthUsers;
    public string PartitionKey => UserId.ToString();
}
