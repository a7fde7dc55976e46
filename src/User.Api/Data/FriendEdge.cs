namespace User.Api.Data;

/// <summary>
/// One direction of a friendship, copied from the Friendship service's events (both directions are
/// stored). Search needs it for the "friends of friends" privacy setting; it lags Friendship by the
/// event delivery time.
/// </summary>
public sealed class FriendEdge
{
    public Guid UserId { get; set; }

    public Guid FriendId { get; set; }
}
