using System.Collections.Frozen;

namespace Chat.Api.Domain;

public static class ConversationTypes
{
    public const string Direct = "direct";
    public const string Group = "group";
}

public static class MemberRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";

    public static bool CanManage(string role) => role is Owner or Admin;
}

/// <summary>
/// A conversation as the hot path needs it: who may read and write it. Cached in memory per
/// instance and dropped on every change (see <c>ConversationDirectory</c>).
/// </summary>
public sealed class ConversationSnapshot
{
    public ConversationSnapshot(Guid id, string type, string? title, DateTimeOffset createdAt, IReadOnlyList<Guid> memberIds, IEnumerable<Guid> blockedSenders)
    {
        Id = id;
        Type = type;
        Title = title;
        CreatedAt = createdAt;
        MemberIds = memberIds;
        Members = memberIds.ToFrozenSet();
        BlockedSenders = blockedSenders.ToFrozenSet();
    }

    public Guid Id { get; }

    public string Type { get; }

    public string? Title { get; }

    public DateTimeOffset CreatedAt { get; }

    public IReadOnlyList<Guid> MemberIds { get; }

    public FrozenSet<Guid> Members { get; }

    /// <summary>In a direct conversation: a member the other member has blocked, who may no longer write to it.</summary>
    public FrozenSet<Guid> BlockedSenders { get; }

    public bool IsMember(Guid userId) => Members.Contains(userId);

    public bool MayWrite(Guid userId) => Members.Contains(userId) && !BlockedSenders.Contains(userId);
}
