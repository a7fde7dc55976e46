using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Messenger.SecurityTests.Infrastructure;
using Messenger.Testing.Services;

namespace Messenger.SecurityTests.Authorization;

/// <summary>
/// Every route of every running service × every kind of bad or borrowed token: the documented
/// 401, 403 or 404 each time. The routes come from the apps' endpoint data sources, so a route
/// added without a rule in <see cref="RouteRules"/> fails here by name.
/// </summary>
public sealed class AuthorizationMatrixTests(SecuritySystem system, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TokenCase[] Cases = Enum.GetValues<TokenCase>();
    private Scene scene = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => scene = await Scene.CreateAsync(system);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public void Every_route_of_every_service_has_a_rule_and_no_rule_names_a_route_that_is_gone()
    {
        var routes = RouteCatalog.Read(system.Services);

        var missing = routes.Where(r => !RouteRules.All.ContainsKey(r.Key)).Select(r => r.Key).ToList();
        var stale = RouteRules.All.Keys.Except(routes.Select(r => r.Key)).ToList();

        Assert.True(missing.Count == 0, "Routes without an authorization rule (add them to RouteRules):" + Environment.NewLine + string.Join(Environment.NewLine, missing));
        Assert.True(stale.Count == 0, "Rules for routes no service maps any more:" + Environment.NewLine + string.Join(Environment.NewLine, stale));
    }

    [Fact]
    public void Only_the_routes_the_rules_call_public_opt_out_of_sign_in()
    {
        var wrong = RouteCatalog.Read(system.Services)
            .Where(r => RouteRules.All.TryGetValue(r.Key, out var rule) && r.AllowsAnonymous != (rule.Access != Access.SignedIn))
            .Select(r => $"{r.Key}: the app says {(r.AllowsAnonymous ? "anonymous" : "signed in")}, the rule says {RouteRules.All[r.Key].Access}")
            .ToList();

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public async Task Every_route_answers_every_bad_or_borrowed_token_as_documented()
    {
        var routes = RouteCatalog.Read(system.Services).Where(r => RouteRules.All.ContainsKey(r.Key)).ToList();
        var failures = new List<string>();
        var checks = 0;
        foreach (var route in routes)
        {
            var rule = RouteRules.All[route.Key];
            var probe = rule.Probe(scene);
            foreach (var tokenCase in Cases)
            {
                var expected = Expected(rule, tokenCase);
                var (status, contentType, body) = await SendAsync(route, probe, tokenCase);
                checks++;
                if (status != expected)
                {
                    failures.Add($"{route.Key} with {tokenCase}: {status}, expected {expected} ({rule.Why}). {Truncate(body)}");
                    continue;
                }

                if (status is 401 or 403 or 404 && !probe.Streams && contentType != "application/problem+json")
                {
                    failures.Add($"{route.Key} with {tokenCase}: {status} without problem details ({contentType}).");
                }

                if (tokenCase == TokenCase.OtherUser && rule.Access != Access.Public)
                {
                    var seen = scene.AlicesIds.Where(id => body.Contains(id.ToString(), StringComparison.OrdinalIgnoreCase)).ToList();
                    if (seen.Count > 0 || (rule.BobMustNotSee is { } hidden && body.Contains(hidden, StringComparison.OrdinalIgnoreCase)))
                    {
                        failures.Add($"{route.Key}: Bob's answer shows Alice's data ({string.Join(", ", seen)}{rule.BobMustNotSee}). {Truncate(body)}");
                    }
                }
            }
        }

        output.WriteLine($"Authorization matrix: {routes.Count} routes × {Cases.Length} token cases = {checks} requests.");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task The_chat_socket_and_the_notification_stream_refuse_every_bad_token_with_401()
    {
        var failures = new List<string>();
        foreach (var tokenCase in Cases.Where(c => c is not (TokenCase.OtherUser or TokenCase.QueryOnPlainRequest)))
        {
            var token = BadToken(tokenCase);
            foreach (var inHeader in new[] { false, true })
            {
                var upgrade = await UpgradeStatusAsync(system.Chat.BaseAddress, token, inHeader);
                if (upgrade != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"WebSocket /chat with {tokenCase} ({(inHeader ? "header" : "query")}): {upgrade}");
                }

                var stream = await StreamStatusAsync(token, inHeader);
                if (stream != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"SSE /notifications/stream with {tokenCase} ({(inHeader ? "header" : "query")}): {stream}");
                }
            }
        }

        // The same requests with a good token are accepted, so the refusals above are about the token.
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await UpgradeStatusAsync(system.Chat.BaseAddress, scene.Bob.AccessToken, inHeader: false));
        Assert.Equal(HttpStatusCode.OK, await StreamStatusAsync(scene.Bob.AccessToken, inHeader: false));
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static int Expected(RouteRule rule, TokenCase tokenCase) => rule.Access switch
    {
        Access.Public => rule.Bob,
        _ when tokenCase == TokenCase.OtherUser => rule.Bob,
        _ => StatusCodes.Unauthorized,
    };

    private string? BadToken(TokenCase tokenCase) => tokenCase switch
    {
        TokenCase.None => null,
        TokenCase.Expired => system.Forge.Expired(scene.Alice),
        TokenCase.WrongSignature => system.Forge.WrongSignature(scene.Alice),
        TokenCase.AlgNone => TokenForge.AlgNone(scene.Alice),
        TokenCase.RevokedSession => scene.AliceRevoked.AccessToken,
        TokenCase.OtherIssuer => system.Forge.OtherIssuer(scene.Alice),
        TokenCase.OtherUser => scene.Bob.AccessToken,
        TokenCase.QueryOnPlainRequest => scene.Alice.AccessToken,
        _ => throw new ArgumentOutOfRangeException(nameof(tokenCase)),
    };

    private async Task<(int Status, string? ContentType, string Body)> SendAsync(RouteInfo route, Probe probe, TokenCase tokenCase)
    {
        var service = system.Services.Single(s => s.Name == route.Service);
        var path = probe.Path;
        string? bearer;
        if (tokenCase == TokenCase.QueryOnPlainRequest)
        {
            path += (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "access_token=" + Uri.EscapeDataString(scene.Alice.AccessToken);
            bearer = null;
        }
        else if (tokenCase == TokenCase.OtherUser && probe.FreshBobSession)
        {
            bearer = (await system.LoginAsync(scene.Bob)).AccessToken;
        }
        else
        {
            bearer = BadToken(tokenCase);
        }

        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(new HttpMethod(route.Method == "*" ? "GET" : route.Method), path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }

        if (probe.Body is not null)
        {
            request.Content = JsonContent.Create(probe.Body);
        }

        using var response = await client.SendAsync(request, probe.Streams ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, Cancellation);
        var body = probe.Streams ? "" : await response.Content.ReadAsStringAsync(Cancellation);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    private static async Task<HttpStatusCode> UpgradeStatusAsync(Uri baseAddress, string? token, bool inHeader)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(baseAddress) { Scheme = "ws", Path = "/chat" };
        if (token is not null && inHeader)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }
        else if (token is not null)
        {
            uri.Query = "access_token=" + Uri.EscapeDataString(token);
        }

        try
        {
            await socket.ConnectAsync(uri.Uri, Cancellation);
            socket.Abort();
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }

    private async Task<HttpStatusCode> StreamStatusAsync(string? token, bool inHeader)
    {
        using var client = system.Notifications.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/notifications/stream" + (token is not null && !inHeader ? "?access_token=" + Uri.EscapeDataString(token) : ""));
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (token is not null && inHeader)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancellation);
        return response.StatusCode;
    }

    private static string Truncate(string body) => body.Length <= 300 ? body : body[..300] + "…";

    private static class StatusCodes
    {
        public const int Unauthorized = 401;
    }
}
