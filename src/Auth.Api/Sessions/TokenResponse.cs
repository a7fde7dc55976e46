namespace Auth.Api.Sessions;

/// <summary>What a successful register, login, OAuth login or refresh returns (DESIGN §3a).</summary>
public sealed record TokenResponse(
    Guid UserId,
    string Username,
    Guid SessionId,
    string AccessToken,
    string RefreshToken,
    string TokenType,
    int ExpiresIn);
