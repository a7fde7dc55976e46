using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsCheck;
using Messenger.SecurityTests.Authorization;
using Messenger.SecurityTests.Infrastructure;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Messenger.SecurityTests.Fuzzing;

/// <summary>
/// Hostile requests to every route of every service: bodies (random JSON, wrong types, huge
/// numbers, deep nesting, invalid UTF-8, control characters, oversized fields and bodies, wrong
/// content types), query strings and path segments. Not one answer may be a 5xx, every error must
/// be problem details, and no service may log an error.
/// </summary>
public sealed partial class HttpFuzzTests(SecuritySystem system, ITestOutputHelper output) : IAsyncLifetime
{
    public const int Cases = 60_000;
    private const int Workers = 8;
    private const string Surface = "http";

    // The fuzzer's own client address, forwarded by "the gateway": login and registration limits apply to it, not to loopback.
    private const string FuzzerAddress = "203.0.113.9";

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
        "application/json; charset=latin1", "application/merge-patch+json", "*/*", "application/json, text/html", "garbage",
    ];

    private static readonly string[] QueryNames = ["limit", "cursor", "q", "before", "after", "direction", "ids", "userId", "name", "lastEventId", "access_token", "s", "u", "e"];

    private FuzzScene scene = null!;
    private IReadOnlyList<RouteInfo> routes = [];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        scene = await FuzzScene.CreateAsync(system);
        // A long-lived stream would hold a worker for as long as it stays open; its token handling is in the matrix.
        routes = [.. RouteCatalog.Read(system.Services).Where(r => r.Key != "notification GET /notifications/stream")];
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Hostile_bodies_queries_and_paths_never_get_a_5xx_and_leave_no_error_in_the_logs()
    {
        var seed = FuzzRun.Seed;
        var failures = new FuzzFailures();
        var statuses = new int[600];
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(60) };
        using var fresh = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(60) };
        var resent = new ConcurrentQueue<string>();

        if (FuzzRun.Replay(Surface) is { } replay)
        {
            var request = Build(FuzzRun.For(replay.Seed, replay.Index), replay.Index);
            var (status, body) = await SendAsync(fresh, request, closeAfter: true);
            output.WriteLine($"{request}{Environment.NewLine}answered {status}: {body}");
            Assert.True(status < 500);
            return;
        }

        var started = DateTime.UtcNow;
        await FuzzRun.RunAsync(Cases, Workers, async (_, index) =>
        {
            var request = Build(FuzzRun.For(seed, index), index);
            try
            {
                var (status, body) = await SendOnFreshConnectionIfDroppedAsync(http, fresh, request, resent, index);
                Interlocked.Increment(ref statuses[Math.Clamp(status, 0, statuses.Length - 1)]);
                if (status >= 500)
                {
                    failures.Add($"{FuzzRun.Name(Surface, seed, index)} {request}{Environment.NewLine}  answered {status}: {Truncate(body)}", $"{status} on {request.Route}");
                }
                else if (status >= 400 && request.Method != "HEAD" && !body.StartsWith("problem:", StringComparison.Ordinal) && !WithoutProblemDetails(request, status))
                {
                    failures.Add($"{FuzzRun.Name(Surface, seed, index)} {request}{Environment.NewLine}  answered {status} without problem details: {Truncate(body)}", $"{status} without problem details on {request.Route}");
                }
            }
            catch (HttpRequestException) when (Oversized(request))
            {
                // Kestrel answers an oversized body (413) or request line (414) and closes the connection
                // while the client is still sending; the client sees the close, not the answer.
                Interlocked.Increment(ref statuses[0]);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                failures.Add($"{FuzzRun.Name(Surface, seed, index)} {request}{Environment.NewLine}  failed: {Chain(ex)}", $"{ex.GetType().Name} on {request.Route}");
            }
        });

        output.WriteLine($"{Cases:N0} HTTP cases over {routes.Count} routes in {(DateTime.UtcNow - started).TotalSeconds:0.0} s (seed {seed}).");
        output.WriteLine($"{resent.Count} requests found their pooled connection closed under them and were answered on a fresh one: {string.Join(", ", resent.Take(20))}");
        output.WriteLine("Answers: " + string.Join(", ", statuses.Select((n, s) => (n, s)).Where(x => x.n > 0).Select(x => $"{x.s}×{x.n}")));
        Assert.True(failures.Count == 0, failures.ToString());
        Assert.True(system.Logs.Problems.Count == 0, "Errors in the services' logs:" + Environment.NewLine + system.Logs.Describe(system.Logs.Problems));
        Assert.True(system.Logs.Leaks.Count == 0, "Secrets in the logs:" + Environment.NewLine + string.Join(Environment.NewLine, system.Logs.Leaks.Take(10)));
    }

    /// <summary>
    /// Kestrel closes a keep-alive connection after a request it refuses itself (request line or
    /// headers too long, body too large, invalid target); a request the client had already put on
    /// that pooled connection then fails in transit ("response ended prematurely", "broken pipe")
    /// without the server having seen it. Such a request is sent once more on a connection of its
    /// own, used for nothing else; only a failure there is the service's.
    /// </summary>
    private async Task<(int Status, string Body)> SendOnFreshConnectionIfDroppedAsync(HttpClient pooled, HttpClient fresh, FuzzRequest fuzz, ConcurrentQueue<string> resent, int index)
    {
        try
        {
            return await SendAsync(pooled, fuzz, closeAfter: false);
        }
        catch (HttpRequestException) when (!Oversized(fuzz))
        {
            resent.Enqueue(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return await SendAsync(fresh, fuzz, closeAfter: true);
        }
    }

    private static bool Oversized(FuzzRequest request) => request.Body?.Length > 1024 * 1024 || request.PathAndQuery.Length > 8 * 1024;

    private async Task<(int Status, string Body)> SendAsync(HttpClient http, FuzzRequest fuzz, bool closeAfter)
    {
        var service = system.Services.Single(s => s.Name == fuzz.Service);
        using var request = new HttpRequestMessage(new HttpMethod(fuzz.Method), new Uri(service.BaseAddress, fuzz.PathAndQuery));
        request.Headers.ConnectionClose = closeAfter;
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", new string([.. fuzz.ForwardedFor.Select(c => c is >= ' ' and <= '~' ? c : '?')]));
        if (fuzz.Bearer is not null)
        {
            // A header is ASCII on the wire; HttpClient refuses anything else before sending, so the fuzzer never gets to.
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string([.. fuzz.Bearer.Select(c => c is >= ' ' and <= '~' ? c : '?')]));
        }

        if (fuzz.Body is not null)
        {
            request.Content = new ByteArrayContent(fuzz.Body);
            if (fuzz.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", fuzz.ContentType);
            }
        }

        using var response = await http.SendAsync(request, Cancellation);
        var body = await response.Content.ReadAsStringAsync(Cancellation);
        if (response.StatusCode == HttpStatusCode.NoContent && fuzz.Route == "auth POST /logout")
        {
            // The fuzzed body was a valid logout: the session ended, so the next logout case needs a new one.
            await scene.RenewLogoutSessionAsync();
        }

        var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
        return ((int)response.StatusCode, problem ? "problem:" + body : body);
    }

    private FuzzRequest Build(PCG pcg, int index)
    {
        var route = routes[index % routes.Count];
        var method = route.Method == "*" ? Hostile.Pick(pcg, ["GET", "HEAD", "POST", "OPTIONS"]) : route.Method;
        var path = RouteParameter().Replace(route.Pattern, match => PathValue(pcg, match.Groups["name"].Value, match.Groups["constraint"].Value));
        var query = new StringBuilder();
        for (var i = Hostile.Chance(pcg, 60) ? 1 + Hostile.Next(pcg, 4) : 0; i > 0; i--)
        {
            query.Append(query.Length == 0 ? '?' : '&').Append(Hostile.Pick(pcg, QueryNames)).Append('=').Append(Encode(pcg, Hostile.Text(pcg)));
        }

        byte[]? body = null;
        string? contentType = "application/json";
        if (method is "POST" or "PUT" or "PATCH" or "DELETE" || Hostile.Chance(pcg, 5))
        {
            (body, contentType) = Body(pcg, route);
        }

        var bearer = Hostile.Next(pcg, 50) switch
        {
            0 => null,
            1 => Hostile.Text(pcg),
            2 => scene.Fuzzer.AccessToken + Hostile.Text(pcg),
            _ => scene.TokenFor(route.Key),
        };
        var forwarded = route.Service == "auth" || !Hostile.Chance(pcg, 10) ? FuzzerAddress : Hostile.Pick(pcg, ["garbage", "1.2.3.4, 5.6.7.8", "::ffff:203.0.113.9", "", new string('9', 300)]);
        return new FuzzRequest(route.Key, route.Service, method, path + query, body, contentType, bearer, forwarded);
    }

    private (byte[] Body, string? ContentType) Body(PCG pcg, RouteInfo route)
    {
        var json = new StringBuilder();
        var kind = Hostile.Next(pcg, 200);
        if (kind < 2)
        {
            // Over the services' 1 MB body limit: refused with 413 before it is buffered.
            json.Append("{\"text\":\"").Append('x', 1_100_000 + Hostile.Next(pcg, 100_000)).Append("\"}");
        }
        else if (kind < 95 && route.BodyType is { } type)
        {
            Hostile.Shaped(json, type, pcg, scene.Id);
        }
        else if (kind < 130)
        {
            Hostile.Value(json, pcg, 0);
        }
        else if (kind < 145)
        {
            json.Append(Hostile.DeepNesting(pcg));
        }
        else if (kind < 155)
        {
            json.Append(Hostile.Pick(pcg, ["", "null", "[]", "{}", "\"\"", "0", "-", "{", "}", "{\"a\":}", "[1,]", "{\"a\":1,}", "{'a':1}", "{a:1}", "\u0000", "true false"]));
        }
        else if (route.BodyType is { } shaped)
        {
            Hostile.Shaped(json, shaped, pcg, scene.Id);
        }
        else
        {
            Hostile.Value(json, pcg, 0);
        }

        var bytes = Encoding.UTF8.GetBytes(json.ToString());
        if (kind >= 170)
        {
            bytes = Hostile.Corrupt(bytes, pcg);
        }

        var contentType = Hostile.Next(pcg, 20) switch
        {
            0 => null,
            1 or 2 => Hostile.Pick(pcg, ContentTypes),
            _ => "application/json",
        };
        return (bytes, contentType);
    }

    private string PathValue(PCG pcg, string name, string constraint)
    {
        if (constraint == "guid" && Hostile.Chance(pcg, 85))
        {
            return scene.IdFor(name, pcg).ToString();
        }

        return name switch
        {
            "username" when Hostile.Chance(pcg, 50) => Hostile.Pick(pcg, [scene.Fuzzer.Username, scene.Partner.Username, scene.Fuzzer.Username.ToUpperInvariant()]),
            "userId" when Hostile.Chance(pcg, 50) => scene.Partner.UserId.ToString(),
            "emoji" when Hostile.Chance(pcg, 40) => Hostile.Pick(pcg, ["%F0%9F%91%8D", "%E2%9D%A4", "x"]),
            "documentName" when Hostile.Chance(pcg, 50) => "v1",
            _ => Encode(pcg, Hostile.Text(pcg)),
        };
    }

    /// <summary>Percent-encodes every byte outside the unreserved set; sometimes slips in bytes that are not UTF-8, or a raw slash.</summary>
    private static string Encode(PCG pcg, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text.Length > 3_000 ? text[..3_000] : text).ToList();
        if (Hostile.Chance(pcg, 15))
        {
            bytes.Insert(Hostile.Next(pcg, bytes.Count + 1), (byte)(0x80 + Hostile.Next(pcg, 0x80)));
        }

        var encoded = new StringBuilder(bytes.Count * 3);
        foreach (var b in bytes)
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }

    /// <summary>
    /// Answers that cannot carry problem details: Kestrel refuses an over-long request line (414) or
    /// header block (431) before any middleware runs, and the OpenAPI document route writes its own
    /// plain 404 for a document name it does not have (no data there, nothing to leak).
    /// </summary>
    private static bool WithoutProblemDetails(FuzzRequest request, int status) =>
        status is 414 or 431
        || (status == 400 && request.PathAndQuery.Contains("%00", StringComparison.Ordinal))
        || (status == 404 && request.Route.EndsWith(" /openapi/{documentName}.json", StringComparison.Ordinal));

    /// <summary>An exception with its inner ones: "an error occurred while sending" says nothing without them.</summary>
    private static string Chain(Exception ex) =>
        string.Join(" ---> ", Enumerable.Repeat(ex, 1).Concat(Inner(ex)).Select(e => $"{e.GetType().Name}: {e.Message}"));

    private static IEnumerable<Exception> Inner(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            yield return inner;
        }
    }

    private static string Truncate(string text) => text.Length <= 400 ? text : text[..400] + "…";

    [GeneratedRegex(@"\{(?<name>[^}:?*]+)(:(?<constraint>[^}]+))?\}")]
    private static partial Regex RouteParameter();
}

/// <summary>One generated request.</summary>
public sealed record FuzzRequest(string Route, string Service, string Method, string PathAndQuery, byte[]? Body, string? ContentType, string? Bearer, string ForwardedFor)
{
    public override string ToString()
    {
        var body = Body is null ? "(no body)" : Body.Length > 300 ? $"{Body.Length:N0} bytes: {Printable(Body.AsSpan(0, 300))}…" : Printable(Body);
        return $"[{Route}] {Method} {(PathAndQuery.Length > 300 ? PathAndQuery[..300] + "…" : PathAndQuery)} Content-Type: {ContentType ?? "(none)"} token: {(Bearer is null ? "none" : Bearer.Length > 20 ? Bearer[..20] + "…" : Bearer)} body: {body}";
    }

    private static string Printable(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes).Replace("\0", "\\0", StringComparison.Ordinal);
}

/// <summary>The fuzzing user's own world, so fuzzed requests reach past "not found" into the services' logic.</summary>
public sealed class FuzzScene
{
    private readonly SecuritySystem system;
    private readonly Dictionary<string, Guid[]> ids;
    private readonly Tokens leaver;
    private volatile Tokens logout;

    private FuzzScene(SecuritySystem system, Tokens fuzzer, Tokens partner, Tokens deleter, Tokens leaver, Dictionary<string, Guid[]> ids)
    {
        this.system = system;
        Fuzzer = fuzzer;
        Partner = partner;
        Deleter = deleter;
        this.leaver = leaver;
        logout = leaver;
        this.ids = ids;
    }

    public Tokens Fuzzer { get; }

    public Tokens Partner { get; }

    /// <summary>Whose account <c>DELETE /account</c> is fuzzed with (wrong passwords only ever reach it).</summary>
    public Tokens Deleter { get; }

    public static async Task<FuzzScene> CreateAsync(SecuritySystem system)
    {
        var cancellation = TestContext.Current.CancellationToken;
        var fuzzer = await system.NewUserAsync("fuzzer");
        var partner = await system.NewUserAsync("partner");
        var deleter = await system.NewUserAsync("deleter");
        // Logouts are fuzzed with a user of their own: a valid one with allSessions would end every session of its user.
        var leaver = await system.NewUserAsync("leaver");
        var direct = await system.DirectConversationAsync(fuzzer, partner);
        var group = await system.GroupAsync(fuzzer, "fuzz", partner);
        var messages = new[] { await system.SendAsync(fuzzer, direct, "one"), await system.SendAsync(fuzzer, group, "two"), await system.SendAsync(partner, group, "three") };

        using var asked = await system.Friendship.CreateClient(partner.AccessToken).PostAsJsonAsync("/friends/request", new { userId = fuzzer.UserId }, cancellation);
        var request = (await asked.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("requestId").GetGuid();
        var notification = await Eventually.GetAsync(async () =>
        {
            var list = await system.Notifications.CreateClient(fuzzer.AccessToken).GetFromJsonAsync<JsonElement>("/notifications", cancellation);
            return list.GetProperty("items").EnumerateArray().Select(n => n.GetProperty("id").GetGuid()).FirstOrDefault();
        }, id => id != Guid.Empty, "the fuzzer's notification");
        using var subscribed = await system.Notifications.CreateClient(fuzzer.AccessToken).PostAsJsonAsync("/notifications/push-subscriptions", Scene.PushSubscription(), cancellation);
        var subscription = (await subscribed.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("id").GetGuid();
        using var uploaded = await system.Chat.CreateClient(fuzzer.AccessToken).PostAsync("/chat/attachments?name=a.txt", new StringContent("fuzz"), cancellation);
        var attachment = (await uploaded.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("attachmentId").GetGuid();

        return new FuzzScene(system, fuzzer, partner, deleter, leaver, new Dictionary<string, Guid[]>
        {
            ["conversationId"] = [direct, group],
            ["messageId"] = messages,
            ["userId"] = [partner.UserId, fuzzer.UserId],
            ["requestId"] = [request],
            ["attachmentId"] = [attachment],
            // Notifications and push subscriptions; never the fuzzer's own session (DELETE /sessions/{id} would end it).
            ["id"] = [notification, subscription],
        });
    }

    /// <summary>An id the fuzzer's requests may name: mostly one of its own, sometimes a stranger's.</summary>
    public Guid Id(PCG pcg) => Hostile.Chance(pcg, 80) ? Hostile.Pick(pcg, ids.Values.SelectMany(v => v).ToArray()) : Hostile.AnyId(pcg);

    public Guid IdFor(string parameter, PCG pcg) =>
        ids.TryGetValue(parameter, out var own) && Hostile.Chance(pcg, 85) ? Hostile.Pick(pcg, own) : Hostile.AnyId(pcg);

    public string TokenFor(string route) => route switch
    {
        "auth POST /logout" => logout.AccessToken,
        "auth DELETE /account" => Deleter.AccessToken,
        _ => Fuzzer.AccessToken,
    };

    public async Task RenewLogoutSessionAsync() => logout = await system.LoginAsync(leaver);
}
