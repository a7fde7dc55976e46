using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Notification.Tests.Infrastructure;

/// <summary>A push that reached the test push service, checked and decrypted.</summary>
public sealed record ReceivedPush(string SubscriptionId, JsonElement Notification, JsonElement VapidClaims, string VapidPublicKey, string? Topic, string? Ttl);

/// <summary>
/// A push service of our own on a loopback port (Kestrel), standing in for the browser vendors' push
/// services that sit outside the system. Like a real one it checks the <c>Authorization: vapid t=…, k=…</c>
/// header (an ES256 JWT signed by k, for this origin, not expired, with a subject); unlike one, it also
/// decrypts each push with the subscription's private key and auth secret, as the browser would.
/// </summary>
public sealed class PushEndpoint : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, BrowserSubscription> subscriptions = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string? RetryAfter)>> scripted = new();
    private readonly ConcurrentQueue<ReceivedPush> received = new();
    private readonly ConcurrentQueue<string> problems = new();
    private readonly ConcurrentDictionary<string, int> attempts = new();

    private PushEndpoint(WebApplication app) => this.app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ReceivedPush> Received => [.. received];

    /// <summary>What was wrong with requests that were refused (bad VAPID, undecryptable body).</summary>
    public IReadOnlyList<string> Problems => [.. problems];

    public static async Task<PushEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var endpoint = new PushEndpoint(app);
        app.MapPost("/push/{id}", endpoint.ReceiveAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        endpoint.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return endpoint;
    }

    /// <summary>A new browser subscription whose pushes come here.</summary>
    public BrowserSubscription NewSubscription()
    {
        var id = Guid.NewGuid().ToString("N");
        var subscription = new BrowserSubscription(new Uri(BaseAddress, "/push/" + id).ToString());
        subscriptions[id] = subscription;
        return subscription;
    }

    /// <summary>The next answers to pushes for <paramref name="subscription"/> (after them: 201).</summary>
    public void Answer(BrowserSubscription subscription, params (int Status, string? RetryAfter)[] answers) =>
        scripted[IdOf(subscription)] = new ConcurrentQueue<(int, string?)>(answers);

    /// <summary>Waits for the first push to <paramref name="subscription"/>; a refused one fails the test with the reason.</summary>
    public async Task<ReceivedPush> WaitForAsync(BrowserSubscription subscription, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (For(subscription) is [var first, ..])
            {
                return first;
            }

            Assert.True(problems.IsEmpty, "The push service refused a push: " + string.Join("; ", problems));
            Assert.True(DateTime.UtcNow < deadline, $"No push arrived for {what} ({AttemptsFor(subscription)} attempts).");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public int AttemptsFor(BrowserSubscription subscription) => attempts.GetValueOrDefault(IdOf(subscription));

    public IReadOnlyList<ReceivedPush> For(BrowserSubscription subscription) => [.. received.Where(p => p.SubscriptionId == IdOf(subscription))];

    private static string IdOf(BrowserSubscription subscription) => subscription.Endpoint[(subscription.Endpoint.LastIndexOf('/') + 1)..];

    private async Task<IResult> ReceiveAsync(string id, HttpRequest request)
    {
        attempts.AddOrUpdate(id, 1, (_, n) => n + 1);
        if (!subscriptions.TryGetValue(id, out var subscription))
        {
            return Results.StatusCode(StatusCodes.Status404NotFound);
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        if (scripted.TryGetValue(id, out var answers) && answers.TryDequeue(out var answer))
        {
            if (answer.RetryAfter is not null)
            {
                request.HttpContext.Response.Headers.RetryAfter = answer.RetryAfter;
            }

            return Results.StatusCode(answer.Status);
        }

        try
        {
            if (request.Headers.ContentEncoding.ToString() != "aes128gcm")
            {
                throw new InvalidOperationException($"Content-Encoding is '{request.Headers.ContentEncoding}', not aes128gcm.");
            }

            var (claims, publicKey) = CheckVapid(request.Headers.Authorization.ToString(), $"{BaseAddress.Scheme}://{BaseAddress.Authority}");
            var json = subscription.Decrypt(buffer.ToArray());
            received.Enqueue(new ReceivedPush(id, JsonDocument.Parse(json).RootElement.Clone(), claims, publicKey,
                request.Headers["Topic"].ToString() is { Length: > 0 } topic ? topic : null, request.Headers["TTL"].ToString()));
            return Results.StatusCode(StatusCodes.Status201Created);
        }
        catch (Exception ex) when (ex is InvalidOperationException or CryptographicException or FormatException or JsonException)
        {
            problems.Enqueue(ex.Message);
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }
    }

    /// <summary>Checks RFC 8292's header: a JWT signed with ES256 by key k, for this push service's origin, unexpired, with a contact.</summary>
    private static (JsonElement Claims, string PublicKey) CheckVapid(string authorization, string origin)
    {
        const string scheme = "vapid ";
        if (!authorization.StartsWith(scheme, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Authorization is not the vapid scheme: '{authorization}'.");
        }

        var parameters = authorization[scheme.Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1]);
        var token = parameters["t"];
        var publicKey = parameters["k"];
        var parts = token.Split('.');
        var key = Base64Url.DecodeFromChars(publicKey);
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = key[1..33], Y = key[33..] },
        });
        if (!ecdsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256))
        {
            throw new InvalidOperationException("The VAPID JWT's signature does not verify with k.");
        }

        var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
        if (header.GetProperty("alg").GetString() != "ES256")
        {
            throw new InvalidOperationException("The VAPID JWT is not ES256.");
        }

        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement.Clone();
        if (claims.GetProperty("aud").GetString() != origin)
        {
            throw new InvalidOperationException($"The VAPID audience is {claims.GetProperty("aud")}, not {origin}.");
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("exp").GetInt64());
        if (expires <= DateTimeOffset.UtcNow || expires > DateTimeOffset.UtcNow.AddHours(24).AddMinutes(5))
        {
            throw new InvalidOperationException($"The VAPID JWT expires at {expires}, outside the next 24 hours.");
        }

        if (string.IsNullOrEmpty(claims.GetProperty("sub").GetString()))
        {
            throw new InvalidOperationException("The VAPID JWT has no subject.");
        }

        return (claims, publicKey);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        foreach (var subscription in subscriptions.Values)
        {
            subscription.Dispose();
        }
    }
}
