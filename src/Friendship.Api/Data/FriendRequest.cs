namespace Friendship.Api.Data;

public enum RequestStatus
{
    Pending,
    Accepted,
    Rejected,
    Cancelled,
}

/// <summary>
/// A friend request from one user to another. Usernames are copied when it is made (they never
/// change). At most one request per pair of users is pending at a time (a unique index over the
/// unordered pair), whichever way it points.
/// </summary>
public sealed class FriendRequest
{
    public Guid Id { get; set; }

    public Guid FromUserId { get; set; }

    public required string FromUsername { get; set; }

    public Guid ToUserId { get; set; }

    public required string ToUsername { get; set; }

    public RequestStatus Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it was accepted, rejected or cancelled.</summary>
    public DateTimeOffset? RespondedAt { get; set; }

    /// <summary>The smaller user id of the pair (a stored generated column), for the one-pending-request-per-pair index.</summary>
    public Guid PairLow { get; private set; }

    /// <summary>The larger user id of the pair.</summary>
    public Guid PairHigh { get; private set; }

    public bool Involves(Guid userId) => FromUserId == userId || ToUserId == userId;
}
