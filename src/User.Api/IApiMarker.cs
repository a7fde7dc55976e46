namespace User.Api;

/// <summary>Names this service's assembly for test hosts: <c>WebApplicationFactory&lt;User.Api.IApiMarker&gt;</c>.</summary>
public interface IApiMarker;
