namespace Chat.Api;

/// <summary>Names this service's assembly for test hosts: <c>WebApplicationFactory&lt;Chat.Api.IApiMarker&gt;</c>.</summary>
public interface IApiMarker;
