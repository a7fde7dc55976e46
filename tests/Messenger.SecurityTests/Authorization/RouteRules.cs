namespace Messenger.SecurityTests.Authorization;

/// <summary>The request the matrix sends to a route: Alice's resource in the path, and a body where the route reads one.</summary>
public sealed record Probe(string Path, object? Body = null)
{
    /// <summary>The route answers with a long-lived stream; only the status line is read.</summary>
    public bool Streams { get; init; }

    /// <summary>Bob's token for this route comes from a session of its own (the route ends the caller's session).</summary>
    public bool FreshBobSession { get; init; }
}

/// <summary>How a route answers each kind of token.</summary>
public enum Access
{
    /// <summary>Needs a valid token: every bad one gets 401.</summary>
    SignedIn,

    /// <summary>Open to anyone (the route opts out of the fallback policy): the token is ignored, every case gets the same answer.</summary>
    Public,

    /// <summary>Opts out of the fallback policy but checks the caller itself (a bearer token or a signed link): bad tokens get 401.</summary>
    OwnCheck,
}

/// <param name="Access">How bad tokens are answered.</param>
/// <param name="Bob">The status for Bob's valid token on Alice's resource (for a public route, the status every case gets).</param>
/// <param name="Probe">The request, from the scene.</param>
/// <param name="Why">The documented rule behind <paramref name="Bob"/>.</param>
/// <param name="BobMustNotSee">Text that must not appear in the answer to Bob (beyond Alice's ids, which never may).</param>
public sealed record RouteRule(Access Access, int Bob, Func<Scene, Probe> Probe, string Why, string? BobMustNotSee = null);

/// <summary>
/// The rule for every route of every service, keyed as <see cref="Infrastructure.RouteInfo.Key"/>.
/// A route the running apps map that is missing here fails the matrix: a new route needs a rule.
/// </summary>
public static class RouteRules
{
    private const string NotParticipant = "someone who is not a participant gets 404, the same as for an id that does not exist (docs/chat-protocol.md)";
    private const string OwnScope = "acts on the caller's own data only; Alice's ids never appear in it";
    private const string Validation = "acts for the caller only; the probe's empty body is refused with 400 after authentication";

    public static IReadOnlyDictionary<string, RouteRule> All { get; } = Build();

    private static Dictionary<string, RouteRule> Build()
    {
        var rules = new Dictionary<string, RouteRule>
        {
            // Auth (decisions 0003, 0004, 0005)
            ["auth POST /register"] = Public(400, _ => new("/register", new { })),
            ["auth POST /login"] = Public(400, _ => new("/login", new { })),
            ["auth POST /token/refresh"] = Public(400, _ => new("/token/refresh", new { })),
            ["auth POST /oauth"] = Public(400, _ => new("/oauth", new { })),
            ["auth GET /oauth/providers"] = Public(200, _ => new("/oauth/providers")),
            ["auth GET /.well-known/jwks.json"] = Public(200, _ => new("/.well-known/jwks.json")),
            ["auth GET /.well-known/openid-configuration"] = Public(200, _ => new("/.well-known/openid-configuration")),
            ["auth POST /logout"] = SignedIn(204, _ => new("/logout") { FreshBobSession = true }, "ends the caller's own session"),
            ["auth GET /sessions"] = SignedIn(200, _ => new("/sessions"), OwnScope),
            ["auth DELETE /sessions/{id:guid}"] = SignedIn(404, s => new($"/sessions/{s.Alice.SessionId}"),
                "another user's session is reported as missing, so session ids cannot be probed"),
            ["auth DELETE /account"] = SignedIn(403, _ => new("/account", new { password = "not bob's password" }),
                "deletes the caller's own account only, after the caller's password is checked again"),

            // User (decisions 0008, 0010, 0012)
            ["user GET /user/blocked"] = SignedIn(200, _ => new("/user/blocked"), OwnScope),
            ["user POST /user/{username}/block"] = SignedIn(204, s => new($"/user/{s.Dave.Username}/block"), "blocks on the caller's own list"),
            ["user DELETE /user/{username}/block"] = SignedIn(204, s => new($"/user/{s.Dave.Username}/block"), "unblocks on the caller's own list"),
            ["user GET /user/search"] = SignedIn(200, _ => new("/user/search?q=alice"), OwnScope),
            ["user GET /user/{username}"] = SignedIn(200, s => new($"/user/{s.Alice.Username}"),
                "profiles are public; privacy settings only to their owner", bobMustNotSee: "privacy"),
            ["user PUT /user/{username}"] = SignedIn(403, s => new($"/user/{s.Alice.Username}", new { bio = "written by someone else" }),
                "only the owner of a profile can change it"),
            ["user GET /internal/users/{id:guid}"] = SignedIn(200, s => new($"/internal/users/{s.Alice.UserId}"),
                "lookup for other services with the end user's token; the gateway does not route /internal (GatewaySecurityTests)"),
            ["user GET /internal/users/by-username/{username}"] = SignedIn(200, s => new($"/internal/users/by-username/{s.Alice.Username}"),
                "lookup for other services with the end user's token; the gateway does not route /internal (GatewaySecurityTests)"),
            ["user GET /internal/users"] = SignedIn(200, s => new($"/internal/users?ids={s.Alice.UserId}"),
                "lookup for other services with the end user's token; the gateway does not route /internal (GatewaySecurityTests)"),

            // Friendship (decision 0011)
            ["friendship POST /friends/request"] = SignedIn(400, _ => new("/friends/request", new { }), Validation),
            ["friendship POST /friends/accept"] = SignedIn(404, s => new("/friends/accept", new { requestId = s.RequestId }),
                "anyone but the two users gets 404 for a request id, so ids cannot be probed"),
            ["friendship POST /friends/reject"] = SignedIn(404, s => new("/friends/reject", new { requestId = s.RequestId }),
                "anyone but the two users gets 404 for a request id"),
            ["friendship GET /friends/requests"] = SignedIn(200, _ => new("/friends/requests"), OwnScope),
            ["friendship GET /friends/requests/{requestId:guid}"] = SignedIn(404, s => new($"/friends/requests/{s.RequestId}"),
                "anyone but the two users gets 404 for a request id"),
            ["friendship DELETE /friends/requests/{requestId:guid}"] = SignedIn(404, s => new($"/friends/requests/{s.RequestId}"),
                "anyone but the two users gets 404 for a request id"),
            ["friendship GET /friends/{userId}"] = SignedIn(403, s => new($"/friends/{s.Alice.UserId}"),
                "a friend list is shown per the owner's friendListVisibleTo (default friends); refused is 403 (0008)"),
            ["friendship DELETE /friends/remove"] = SignedIn(404, s => new($"/friends/remove?userId={s.Carol.UserId}"),
                "nobody can end a friendship they are not part of"),

            // Chat (docs/chat-protocol.md, decision 0033)
            ["chat GET /chat"] = SignedIn(200, _ => new("/chat"), OwnScope),
            ["chat POST /chat"] = SignedIn(400, _ => new("/chat", new { }), Validation),
            ["chat GET /chat/search"] = SignedIn(200, _ => new($"/chat/search?q={Scene.MessageMarker}"), OwnScope),
            ["chat GET /chat/{conversationId:guid}"] = SignedIn(404, s => new($"/chat/{s.GroupId}"), NotParticipant),
            ["chat PATCH /chat/{conversationId:guid}"] = SignedIn(404, s => new($"/chat/{s.GroupId}", new { title = "taken over" }), NotParticipant),
            ["chat GET /chat/{conversationId:guid}/members"] = SignedIn(404, s => new($"/chat/{s.GroupId}/members"), NotParticipant),
            ["chat POST /chat/{conversationId:guid}/members"] = SignedIn(404, s => new($"/chat/{s.GroupId}/members", new { userIds = new[] { s.Bob.UserId } }), NotParticipant),
            ["chat DELETE /chat/{conversationId:guid}/members/{userId:guid}"] = SignedIn(404, s => new($"/chat/{s.GroupId}/members/{s.Carol.UserId}"), NotParticipant),
            ["chat PUT /chat/{conversationId:guid}/members/{userId:guid}/role"] = SignedIn(404,
                s => new($"/chat/{s.GroupId}/members/{s.Carol.UserId}/role", new { role = "admin" }), NotParticipant),
            ["chat POST /chat/{conversationId:guid}/leave"] = SignedIn(404, s => new($"/chat/{s.GroupId}/leave"), NotParticipant),
            ["chat POST /chat/{conversationId:guid}/read"] = SignedIn(404, s => new($"/chat/{s.DirectId}/read", new { seq = 1 }), NotParticipant),
            ["chat POST /chat/{conversationId:guid}/messages"] = SignedIn(404, s => new($"/chat/{s.DirectId}/messages",
                new { clientMessageId = "intruder", content = new { kind = "text", text = "hello" } }), NotParticipant),
            ["chat PATCH /chat/{conversationId:guid}/messages/{messageId:guid}"] = SignedIn(404,
                s => new($"/chat/{s.GroupId}/messages/{s.MessageId}", new { content = new { kind = "text", text = "edited" } }), NotParticipant),
            ["chat DELETE /chat/{conversationId:guid}/messages/{messageId:guid}"] = SignedIn(404, s => new($"/chat/{s.GroupId}/messages/{s.MessageId}"), NotParticipant),
            ["chat PUT /chat/{conversationId:guid}/messages/{messageId:guid}/reactions/{emoji}"] = SignedIn(404,
                s => new($"/chat/{s.GroupId}/messages/{s.MessageId}/reactions/%F0%9F%91%8D"), NotParticipant),
            ["chat DELETE /chat/{conversationId:guid}/messages/{messageId:guid}/reactions/{emoji}"] = SignedIn(404,
                s => new($"/chat/{s.GroupId}/messages/{s.MessageId}/reactions/%F0%9F%91%8D"), NotParticipant),
            ["chat POST /chat/attachments"] = SignedIn(400, _ => new("/chat/attachments"), "uploads as the caller; the probe names no file and is refused with 400"),
            ["chat POST /chat/attachments/links"] = SignedIn(200, s => new("/chat/attachments/links", new { attachmentIds = new[] { s.AttachmentId } }),
                "links only for attachments the caller may read: Alice's is left out"),
            ["chat GET /chat/attachments/{attachmentId:guid}"] = new(Access.OwnCheck, 404, s => new($"/chat/attachments/{s.AttachmentId}"),
                "a bearer token or a signed link is required (401 without); an attachment the caller may not read is 404"),
            ["chat GET /chat/attachments/{attachmentId:guid}/thumbnail"] = new(Access.OwnCheck, 404, s => new($"/chat/attachments/{s.AttachmentId}/thumbnail"),
                "a bearer token or a signed link is required (401 without); an attachment the caller may not read is 404"),

            // Notification (decisions 0040 to 0044)
            ["notification GET /notifications"] = SignedIn(200, _ => new("/notifications"), OwnScope),
            ["notification GET /notifications/unread-count"] = SignedIn(200, _ => new("/notifications/unread-count"), OwnScope),
            ["notification POST /notifications/{id:guid}/read"] = SignedIn(404, s => new($"/notifications/{s.NotificationId}/read"),
                "another user's notification is reported as missing"),
            ["notification POST /notifications/read-all"] = SignedIn(200, _ => new("/notifications/read-all"), OwnScope),
            ["notification GET /notifications/stream"] = SignedIn(200, _ => new("/notifications/stream") { Streams = true }, OwnScope),
            ["notification GET /notifications/vapid-public-key"] = Public(200, _ => new("/notifications/vapid-public-key")),
            ["notification POST /notifications/push-subscriptions"] = SignedIn(400, _ => new("/notifications/push-subscriptions", new { }), Validation),
            ["notification GET /notifications/push-subscriptions"] = SignedIn(200, _ => new("/notifications/push-subscriptions"), OwnScope),
            ["notification DELETE /notifications/push-subscriptions/{id:guid}"] = SignedIn(404, s => new($"/notifications/push-subscriptions/{s.SubscriptionId}"),
                "another user's subscription is reported as missing"),
            ["notification GET /notifications/settings"] = SignedIn(200, _ => new("/notifications/settings"), OwnScope),
            ["notification PUT /notifications/settings"] = SignedIn(400, _ => new("/notifications/settings", new { }), Validation),
        };

        // Every service: health checks, and its OpenAPI document (the gateway serves the combined reference).
        foreach (var service in new[] { "auth", "user", "friendship", "chat", "notification" })
        {
            rules[$"{service} * /health/live"] = Public(200, _ => new("/health/live"));
            rules[$"{service} * /health/ready"] = Public(200, _ => new("/health/ready"));
            rules[$"{service} GET /openapi/{{documentName}}.json"] = Public(200, _ => new("/openapi/v1.json"));
        }

        return rules;
    }

    private static RouteRule SignedIn(int bob, Func<Scene, Probe> probe, string why, string? bobMustNotSee = null) =>
        new(Access.SignedIn, bob, probe, why, bobMustNotSee);

    private static RouteRule Public(int status, Func<Scene, Probe> probe) =>
        new(Access.Public, status, probe, "open to anyone");
}
