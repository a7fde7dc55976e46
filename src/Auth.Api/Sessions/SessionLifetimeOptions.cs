namespace Auth.Api.Sessions;

public sealed class SessionLifetimeOptions
{
    public const string SectionName = "Sessions";

    /// <summary>A refresh token unused this long expires; using it starts the period again.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>No session lives longer than this, however often it is refreshed.</summary>
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromDays(180);
}
