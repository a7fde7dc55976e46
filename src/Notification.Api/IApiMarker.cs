namespace Notification.Api;

/// <summary>Names this service's assembly for test hosts: <c>WebApplicationFactory&lt;Notification.Api.IApiMarker&gt;</c>.</summary>
public interface IApiMarker;
