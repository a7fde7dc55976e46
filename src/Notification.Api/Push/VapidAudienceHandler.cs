using System.Net.Http.Headers;

namespace Notification.Api.Push;

/// <summary>
/// Lib.Net.Http.WebPush signs the VAPID token for <c>scheme://host</c>, dropping a non-default port,
/// while RFC 8292 wants the push resource's origin. Push services on a non-default port would refuse
/// such a token, so for those the header is signed again for the full origin.
/// </summary>
internal sealed class VapidAudienceHandler(VapidKeys vapid) : DelegatingHandler
{
    private const string Scheme = "vapid";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { IsDefaultPort: false } uri && request.Headers.Authorization?.Scheme == Scheme)
        {
            var origin = uri.GetLeftPart(UriPartial.Authority);
            request.Headers.Authorization = new AuthenticationHeaderValue(Scheme, vapid.Authentication.GetVapidSchemeAuthenticationHeaderValueParameter(origin));
        }

        return base.SendAsync(request, cancellationToken);
    }
}
