namespace Messenger.Gateway;

/// <summary>Names this assembly for test hosts: <c>WebApplicationFactory&lt;Messenger.Gateway.IApiMarker&gt;</c>.</summary>
public interface IApiMarker;
