namespace Notification.Api.Data;

/// <summary>A browser's Web Push subscription (table <c>push_subscriptions</c>); the endpoint is unique.</summary>
public sealed class PushSubscriptionRow
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public required string Endpoint { get; set; }

    /// <summary>The browser's P-256 public key, base64url (65 bytes, uncompressed).</summary>
    public required string P256dh { get; set; }

    /// <summary>The browser's 16-byte authentication secret, base64url.</summary>
    public required string Auth { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastDeliveredAt { get; set; }
}

/// <summary>
/// A Web Push still to send (table <c>push_deliveries</c>): written in the transaction that changed
/// the notification, so a crash cannot lose it, and retried with back-off until the push service takes it.
/// One row per subscription and notification: a burst of updates becomes one push of the latest state.
/// </summary>
public sealed class PushDelivery
{
    public long Id { get; set; }

    public Guid SubscriptionId { get; set; }

    public Guid NotificationId { get; set; }

    public int Attempts { get; set; }

    /// <summary>Raised when the notification changes again while queued, so a send of an older state does not dequeue the newer one.</summary>
    public int Version { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>While set and in the future, an instance is sending it.</summary>
    public DateTimeOffset? LockedUntil { get; set; }
}

/// <summary>
/// The VAPID key pair generated for Development when configuration has none (table <c>vapid_keys</c>).
/// Production keys come from configuration only.
/// </summary>
public sealed class StoredVapidKeys
{
    public int Id { get; set; }

    public required string PublicKey { get; set; }

    public required string PrivateKey { get; set; }

    public required string Note { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
