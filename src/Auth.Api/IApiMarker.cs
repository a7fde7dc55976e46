namespace Auth.Api;

/// <summary>Names this service's assembly for test hosts: <c>WebApplicationFactory&lt;Auth.Api.IApiMarker&gt;</c>.</summary>
public interface IApiMarker;
