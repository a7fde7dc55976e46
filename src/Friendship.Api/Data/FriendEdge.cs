namespace Friendship.Api.Data;

/// <summary>
/// One direction of a friendship: <see cref="UserId"/> has <see cref="FriendId"/> as a friend. Both
/// directions are written together, so listing anyone's friends is one index range.
/// </summary>
public sealed class FriendEdge
{
    public Guid UserId { get; set; }

    public Guid FriendId { get; set; }

    public required string FriendUsername { get; set; }

    public DateTimeOffset Since { get; set; }

    /// <summary>The request whose acceptance made the friendship.</summary>
    public Guid RequestId { get; set; }
}
