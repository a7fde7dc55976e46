namespace Messenger.Contracts.Auth;

/// <summary>
/// An account was deleted by its owner: sessions and credentials are gone, and every service
/// removes or anonymises what it holds about the user (docs/decisions/0070-account-deletion.md).
/// </summary>
public sealed record UserDeleted(Guid UserId, DateTimeOffset DeletedAt) : IIntegrationEvent
{
    public static string EventType => "UserDeleted";
    public static string Topic => Topics.AuthUsers;
    public string PartitionKey => UserId.ToString();
}
