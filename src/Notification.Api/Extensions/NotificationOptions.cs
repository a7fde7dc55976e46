using Microsoft.Extensions.Options;
using Notification.Api.Push;

namespace Notification.Api.Extensions;

/// <summary>The Notification service's settings (section <c>Notifications</c>), validated at start-up.</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Notifications";

    /// <summary>Read notifications are deleted this long after they were read.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Unread notifications are deleted this long after they were created.</summary>
    public TimeSpan UnreadRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often old notifications are looked for.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    public StreamOptions Stream { get; set; } = new();

    public PushOptions Push { get; set; } = new();

    public VapidOptions Vapid { get; set; } = new();
}

public sealed class StreamOptions
{
    /// <summary>A comment line is sent this often so proxies keep the stream open and dead clients are noticed.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>At most this many changes are replayed to a stream resuming with <c>Last-Event-ID</c>; beyond that the client is told to reload.</summary>
    public int ReplayLimit { get; set; } = 100;

    /// <summary>Changes waiting for a slow client; a client further behind is disconnected and resumes with <c>Last-Event-ID</c>.</summary>
    public int BufferSize { get; set; } = 256;
}

public sealed class PushOptions
{
    /// <summary>Attempts per push before it is given up (429, 5xx and network errors are retried).</summary>
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often queued pushes written by other instances (or due for a retry) are looked for.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public int BatchSize { get; set; } = 50;

    /// <summary>Pushes sent at once by one instance.</summary>
    public int MaxParallelSends { get; set; } = 16;

    /// <summary>How long one request to a push service may take.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a push service keeps a push for an offline device (the <c>TTL</c> header).</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>
/// The application server's VAPID key pair (RFC 8292), base64url: the public key is the 65-byte
/// uncompressed P-256 point, the private key the 32-byte scalar. Required outside Development; in
/// Development a pair is generated once and kept in the database when none is configured.
/// </summary>
public sealed class VapidOptions
{
    public string? PublicKey { get; set; }

    public string? PrivateKey { get; set; }

    /// <summary>A <c>mailto:</c> or <c>https:</c> contact the push services can reach the operator at.</summary>
    public string? Subject { get; set; }
}

internal sealed class NotificationOptionsValidator(IHostEnvironment environment) : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        var failures = new List<string>();
        if (options.Retention <= TimeSpan.Zero || options.UnreadRetention <= TimeSpan.Zero || options.RetentionInterval <= TimeSpan.Zero)
        {
            failures.Add("Notifications:Retention, UnreadRetention and RetentionInterval must be positive.");
        }

        if (options.Stream.HeartbeatInterval <= TimeSpan.Zero || options.Stream.ReplayLimit is < 1 or > 10_000 || options.Stream.BufferSize < 16)
        {
            failures.Add("Notifications:Stream needs a positive HeartbeatInterval, a ReplayLimit of 1 to 10000 and a BufferSize of at least 16.");
        }

        var push = options.Push;
        if (push.MaxAttempts < 1 || push.BatchSize < 1 || push.MaxParallelSends < 1
            || push.InitialRetryDelay <= TimeSpan.Zero || push.MaxRetryDelay < push.InitialRetryDelay
            || push.PollInterval <= TimeSpan.Zero || push.SendTimeout <= TimeSpan.Zero || push.TimeToLive < TimeSpan.Zero)
        {
            failures.Add("Notifications:Push has a value out of range (attempts, batch and parallelism at least 1; delays and timeouts positive).");
        }

        var vapid = options.Vapid;
        var configured = !string.IsNullOrWhiteSpace(vapid.PublicKey) || !string.IsNullOrWhiteSpace(vapid.PrivateKey);
        if (configured && VapidKeyPair.Check(vapid.PublicKey, vapid.PrivateKey) is { } problem)
        {
            failures.Add($"Notifications:Vapid: {problem}");
        }
        else if (!configured && !environment.IsDevelopment())
        {
            failures.Add("Notifications:Vapid:PublicKey and PrivateKey are not set. Web Push needs the server's VAPID key pair " +
                "(base64url; the public key is the 65-byte uncompressed P-256 point, the private key the 32-byte scalar) and a " +
                "Subject (mailto: or https: contact). Only Development generates a pair by itself.");
        }

        if (vapid.Subject is { Length: > 0 } subject && !VapidKeyPair.IsValidSubject(subject))
        {
            failures.Add("Notifications:Vapid:Subject must be a mailto: or https: URL.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
