namespace User.Api.Data;

/// <summary>
/// One direction of a friendship, copied from the Friendship service's events (both directions are
/// stored). Search needs it for the "friends of friends" privacy setting; it lags Friendship by the
/// event delivery time. A removed friendship stays as a row that is no longer a friendship, with its
/// time: events can arrive out of order, and the later change always wins.
/// </summary>
public sealed class FriendEdge
{
    public Guid UserId { get; set; }

    public Guid FriendId { get; set; }

    public bool IsFriend { get; set; }

    /// <summary>When the friendship was last accepted or removed in the Friendship service.</summary>
    public DateTimeOffset ChangedAt { get; set; }
}
