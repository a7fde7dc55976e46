namespace Friendship.Api.Data;

/// <summary>
/// This service's copy of a block made in the User service (from <c>UserBlocked</c>/<c>UserUnblocked</c>),
/// so requests can be refused without asking User.
/// </summary>
public sealed class UserBlock
{
    public Guid BlockerId { get; set; }

    public Guid BlockedId { get; set; }

    public DateTimeOffset BlockedAt { get; set; }
}
