namespace Auth.Api.Sessions;

public sealed class SessionLifetimeOptions
{
    public const string SectionName = "Sessions";

    /// <summary>A refresh token unused this long expires; using it starts the period again.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>No session lives longer than this, however often it is refreshed.</summary>
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromDays(180);

    /// <summary>How long a used refresh token is kept so that replaying it ends its session.</summary>
    public TimeSpan ReuseDetectionWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long an ended session stays listed in the database (for support and audits) before it is deleted.</summary>
    public TimeSpan EndedSessionRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often expired tokens and ended sessions are deleted.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);
}
