using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Messenger.Contracts;
using Messenger.EndToEndTests.Infrastructure;
using Messenger.Testing;
using Messenger.Testing.Services;

namespace Messenger.EndToEndTests;

/// <summary>
/// The one public origin: every seed route, the chat socket, the event stream and the web client
/// through the gateway, with the services meeting through either event log (DESIGN §7).
/// </summary>
public abstract class GatewayTests(MessengerApp messenger)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private HttpClient Gateway(string? accessToken = null)
    {
        var client = new HttpClient { BaseAddress = messenger.Endpoint("gateway") };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return client;
    }

    [Fact]
    public async Task Every_service_answers_its_seed_routes_through_the_gateway()
    {
        var alice = await Gateway().RegisterAsync();
        var bob = await Gateway().RegisterAsync();
        using var asAlice = Gateway(alice.AccessToken);

        // Auth
        var jwks = await Gateway().GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", Cancellation);
        Assert.NotEmpty(jwks.GetProperty("keys").EnumerateArray());
        var sessions = await asAlice.GetFromJsonAsync<JsonElement>("/sessions", Cancellation);
        Assert.Single(sessions.GetProperty("items").EnumerateArray());

        // User (profiles appear from the registration event)
        var profile = await Eventually.GetAsync(
            () => asAlice.GetAsync($"/user/{bob.Username}", Cancellation),
            response => response.StatusCode == HttpStatusCode.OK,
            "bob's profile");
        Assert.Equal(bob.UserId, (await profile.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("userId").GetGuid());

        // Friendship
        using var request = await asAlice.PostAsJsonAsync("/friends/request", new { userId = bob.UserId }, Cancellation);
        Assert.Equal(HttpStatusCode.Created, request.StatusCode);
        var incoming = await Gateway(bob.AccessToken).GetFromJsonAsync<JsonElement>("/friends/requests?direction=incoming", Cancellation);
        Assert.Single(incoming.GetProperty("items").EnumerateArray());

        // Chat
        using var conversation = await asAlice.PostAsJsonAsync("/chat", new { type = "direct", userId = bob.UserId }, Cancellation);
        Assert.Equal(HttpStatusCode.Created, conversation.StatusCode);
        var conversations = await asAlice.GetFromJsonAsync<JsonElement>("/chat", Cancellation);
        Assert.Single(conversations.GetProperty("items").EnumerateArray());

        // Notification
        var notifications = await Eventually.GetAsync(
            () => Gateway(bob.AccessToken).GetFromJsonAsync<JsonElement>("/notifications", Cancellation),
            body => body.GetProperty("items").GetArrayLength() > 0,
            "bob's friend request notification");
        Assert.Equal("friend_request", notifications.GetProperty("items")[0].GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("/internal/users/by-username/alice")]
    [InlineData("/health/ready/../../internal/users")]
    [InlineData("/no/such/route")]
    public async Task Internal_and_unknown_paths_are_not_reachable_from_outside(string path)
    {
        var tokens = await Gateway().RegisterAsync();

        using var response = await Gateway(tokens.AccessToken).GetAsync(path, Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_chat_socket_works_through_the_gateway()
    {
        var alice = await Gateway().RegisterAsync();
        var bob = await Gateway().RegisterAsync();
        // Chat knows users from their registration events: on Kafka bob may not be known yet.
        using var created = await Eventually.GetAsync(
            () => Gateway(alice.AccessToken).PostAsJsonAsync("/chat", new { type = "direct", userId = bob.UserId }, Cancellation),
            response => response.IsSuccessStatusCode,
            "a conversation with bob, once Chat has his registration event");
        var conversationId = (await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("conversationId").GetGuid();

        using var bobSocket = await ConnectAsync(bob.AccessToken);
        using var aliceSocket = await ConnectAsync(alice.AccessToken);
        await SendAsync(aliceSocket, new
        {
            type = "send",
            clientMessageId = "gw-1",
            conversationId,
            content = new { kind = "text", text = "through one origin" },
        });

        var ack = await ReceiveAsync(aliceSocket, "ack");
        Assert.Equal(1, ack.GetProperty("seq").GetInt64());
        var message = await ReceiveAsync(bobSocket, "message");
        Assert.Equal("through one origin", message.GetProperty("message").GetProperty("content").GetProperty("text").GetString());
    }

    [Fact]
    public async Task The_notification_stream_is_forwarded_live_not_buffered()
    {
        var alice = await Gateway().RegisterAsync();
        var bob = await Gateway().RegisterAsync();
        await Eventually.UntilAsync(
            async () => (await Gateway(alice.AccessToken).GetAsync($"/user/{bob.Username}", Cancellation)).IsSuccessStatusCode,
            "bob's profile");

        using var stream = Gateway();
        using var streamRequest = new HttpRequestMessage(HttpMethod.Get, $"/notifications/stream?access_token={bob.AccessToken}");
        streamRequest.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await stream.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancellation));

        using var request = await Gateway(alice.AccessToken).PostAsJsonAsync("/friends/request", new { userId = bob.UserId }, Cancellation);
        Assert.Equal(HttpStatusCode.Created, request.StatusCode);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        string? line;
        while ((line = await reader.ReadLineAsync(timeout.Token)) is not null && !line.StartsWith("data:", StringComparison.Ordinal))
        {
        }

        Assert.NotNull(line);
        var notification = JsonDocument.Parse(line["data:".Length..]).RootElement;
        Assert.Equal("friend_request", notification.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task The_gateway_serves_the_web_client_and_the_API_reference_with_security_headers()
    {
        using var page = await Gateway().GetAsync("/", Cancellation);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        AssertSecurityHeaders(page);

        using var reference = await Gateway().GetAsync("/api-docs", Cancellation);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        var chatDocument = await Gateway().GetFromJsonAsync<JsonElement>("/openapi/chat.json", Cancellation);
        Assert.True(chatDocument.GetProperty("paths").TryGetProperty("/chat/{conversationId}", out _));
    }

    [Fact]
    public async Task Answers_proxied_from_the_services_carry_the_security_headers_and_grant_no_other_origin()
    {
        var tokens = await Gateway().RegisterAsync();
        using var sessions = await Gateway(tokens.AccessToken).GetAsync("/sessions", Cancellation);
        Assert.Equal(HttpStatusCode.OK, sessions.StatusCode);
        AssertSecurityHeaders(sessions);

        // A page on another origin may not read the API: no CORS grant on a preflight or on the answer itself.
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/friends/request");
        preflight.Headers.Add("Origin", "https://elsewhere.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        using var preflightAnswer = await Gateway().SendAsync(preflight, Cancellation);
        Assert.False(preflightAnswer.Headers.Contains("Access-Control-Allow-Origin"), "the preflight granted another origin");
        using var crossOrigin = new HttpRequestMessage(HttpMethod.Get, "/sessions");
        crossOrigin.Headers.Add("Origin", "https://elsewhere.example");
        crossOrigin.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        using var crossOriginAnswer = await Gateway().SendAsync(crossOrigin, Cancellation);
        Assert.False(crossOriginAnswer.Headers.Contains("Access-Control-Allow-Origin"), "the answer granted another origin");
        AssertSecurityHeaders(crossOriginAnswer);
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Cross-Origin-Opener-Policy").Single());
        Assert.Equal("camera=(), microphone=(), geolocation=()", response.Headers.GetValues("Permissions-Policy").Single());
    }

    [Fact]
    public async Task A_client_address_from_a_trusted_proxy_reaches_the_services()
    {
        using var client = Gateway();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9");
        var tokens = await client.RegisterAsync();

        var sessions = await Gateway(tokens.AccessToken).GetFromJsonAsync<JsonElement>("/sessions", Cancellation);

        Assert.Equal("203.0.113.9", sessions.GetProperty("items")[0].GetProperty("ip").GetString());
    }

    private async Task<ClientWebSocket> ConnectAsync(string accessToken)
    {
        var socket = new ClientWebSocket();
        var address = new UriBuilder(messenger.Endpoint("gateway")) { Scheme = "ws", Path = "/chat", Query = "access_token=" + accessToken };
        await socket.ConnectAsync(address.Uri, Cancellation);
        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, object frame) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame, JsonSerializerOptions.Web), WebSocketMessageType.Text, true, Cancellation);

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, string type)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var frame = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, timeout.Token);
                frame.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            var json = JsonDocument.Parse(Encoding.UTF8.GetString(frame.ToArray())).RootElement;
            if (json.GetProperty("type").GetString() == type)
            {
                return json;
            }
        }
    }
}

/// <summary>The whole system on Redis Streams, the single-node default.</summary>
public sealed class GatewayTestsOnRedisStreams(MessengerApp messenger) : GatewayTests(messenger);

/// <summary>The whole system on Kafka (librdkafka's Kafka-protocol broker in this process).</summary>
public sealed class GatewayTestsOnKafka(KafkaMessengerApp system) : GatewayTests(system.Messenger), IClassFixture<KafkaMessengerApp>
{
    [Fact]
    public async Task A_registration_through_the_gateway_is_published_on_the_Kafka_topic()
    {
        using var gateway = new HttpClient { BaseAddress = system.Messenger.Endpoint("gateway") };
        var tokens = await gateway.RegisterAsync();

        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = system.BootstrapServers,
            GroupId = "e2e-reader-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6_000,
        }).Build();
        consumer.Subscribe(Topics.AuthUsers);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var found = false;
        while (!found && DateTime.UtcNow < deadline)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(500));
            found = record?.Message is { } message && message.Key == tokens.UserId.ToString()
                && EventEnvelope.Parse(message.Value).Type == "UserRegistered";
        }

        consumer.Close();
        Assert.True(found, $"UserRegistered of {tokens.UserId} never appeared on {Topics.AuthUsers}.");
    }
}
