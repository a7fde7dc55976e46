namespace User.Api.Data;

/// <summary><see cref="BlockerId"/> blocked <see cref="BlockedId"/>.</summary>
public sealed class Block
{
    public Guid BlockerId { get; set; }

    public Guid BlockedId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public Profile Blocked { get; set; } = null!;
}
