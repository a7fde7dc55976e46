namespace Friendship.Api.Data;

/// <summary>
/// This service's copy of a block made in the User service (from <c>UserBlocked</c>/<c>UserUnblocked</c>),
/// so requests can be refused without asking User. An unblock is kept as a row that is no longer
/// blocking, with its time: events can arrive out of order, and the later change always wins.
/// </summary>
public sealed class UserBlock
{
    public Guid BlockerId { get; set; }

    public Guid BlockedId { get; set; }

    public bool IsBlocked { get; set; }

    /// <summary>When the latest block or unblock of the pair happened in the User service.</summary>
    public DateTimeOffset ChangedAt { get; set; }
}
