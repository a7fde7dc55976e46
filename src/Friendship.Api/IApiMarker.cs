namespace Friendship.Api;

/// <summary>Names this service's assembly for test hosts: <c>WebApplicationFactory&lt;Friendship.Api.IApiMarker&gt;</c>.</summary>
public interface IApiMarker;
