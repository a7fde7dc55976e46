namespace Chat.Api.Domain;

/// <summary>How Chat names the users it knows.</summary>
public static class ChatUsers
{
    /// <summary>
    /// The name a deleted account's messages and memberships show (docs/decisions/0070-account-deletion.md).
    /// It has a space, which no username may contain, so it can never be someone's name.
    /// </summary>
    public const string DeletedUsername = "deleted user";
}
