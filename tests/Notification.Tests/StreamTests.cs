using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Contracts.Friendships;
using Messenger.Testing;
using Messenger.Testing.Services;
using Notification.Tests.Infrastructure;

namespace Notification.Tests;

/// <summary><c>GET /notifications/stream</c> over a real socket: resume, heartbeats, sign-in rules and revoked sessions.</summary>
public sealed class StreamTests(NotificationSystem system) : IClassFixture<NotificationSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stream_resumed_with_Last_Event_ID_replays_exactly_what_changed_since()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var first = Guid.NewGuid();
        SseEvent seen;
        await using (var stream = await system.StreamAsync(bob))
        {
            await system.PublishAsync(new FriendRequestSent(first, alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
            seen = await stream.WaitForAsync(n => n.GetProperty("data").GetProperty("requestId").GetGuid() == first, "the first request");
        }

        // While the device is away: a new request, and the first one read on another device.
        var second = Guid.NewGuid();
        await system.PublishAsync(new FriendRequestSent(second, alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
        await system.WaitForNotificationAsync(bob, n => n.GetProperty("data").GetProperty("requestId").GetGuid() == second, "the second request");
        using (var read = await system.Client(bob).PostAsync($"/notifications/{seen.Json.GetProperty("id").GetGuid()}/read", null, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        await using var resumed = await system.StreamAsync(bob, lastEventId: seen.Id);
        var replayedRead = await resumed.WaitForAsync(n => n.GetProperty("data").GetProperty("requestId").GetGuid() == first, "the read first request");
        var replayedNew = await resumed.WaitForAsync(n => n.GetProperty("data").GetProperty("requestId").GetGuid() == second, "the second request");
        Assert.Equal(JsonValueKind.String, replayedRead.Json.GetProperty("readAt").ValueKind);
        Assert.True(replayedNew.Seq > seen.Seq && replayedRead.Seq > replayedNew.Seq);
        Assert.Equal(2, resumed.Events.Count);

        // Live changes follow the replay on the same stream.
        var third = Guid.NewGuid();
        await system.PublishAsync(new FriendRequestSent(third, alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
        var live = await resumed.WaitForAsync(n => n.GetProperty("data").GetProperty("requestId").GetGuid() == third, "the third request");
        Assert.True(live.Seq > replayedRead.Seq);
    }

    [Fact]
    public async Task A_stream_that_missed_more_than_can_be_replayed_is_told_to_reload_and_gets_the_latest_changes()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var requests = Enumerable.Range(0, 7).Select(_ => Guid.NewGuid()).ToList();
        foreach (var requestId in requests)
        {
            await system.PublishAsync(new FriendRequestSent(requestId, alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
        }

        await Eventually.GetAsync(() => system.ListAsync(bob), l => l.Count == 7, "seven requests");

        // The tests replay at most 5 changes.
        await using var resumed = await system.StreamAsync(bob, lastEventId: "0");
        await resumed.WaitForAsync(_ => true, "the resync", name: "resync");
        await resumed.WaitForAsync(n => n.GetProperty("data").GetProperty("requestId").GetGuid() == requests[^1], "the newest request");
        var replayed = resumed.Events.Where(e => e.Name == "notification").ToList();
        Assert.Equal("resync", resumed.Events[0].Name);
        Assert.Equal(requests[2..], replayed.Select(e => e.Json.GetProperty("data").GetProperty("requestId").GetGuid()));

        // An id from the future (a restored database) cannot be resumed from: reload, then live changes as they come.
        await using var confused = await system.StreamAsync(bob, lastEventId: "999999");
        await confused.WaitForAsync(_ => true, "the resync", name: "resync");
        var next = Guid.NewGuid();
        await system.PublishAsync(new FriendRequestSent(next, alice.UserId, alice.Username, bob.UserId, bob.Username, DateTimeOffset.UtcNow));
        await confused.WaitForAsync(n => n.GetProperty("data").GetProperty("requestId").GetGuid() == next, "the next request");
    }

    [Fact]
    public async Task An_open_stream_gets_heartbeat_comments_and_nothing_of_other_users()
    {
        var alice = await system.NewUserAsync("alice");
        var bob = await system.NewUserAsync("bob");
        var carol = await system.NewUserAsync("carol");
        await using var stream = await system.StreamAsync(bob);
        await using var carols = await system.StreamAsync(carol);

        await system.PublishAsync(new FriendRequestSent(Guid.NewGuid(), alice.UserId, alice.Username, carol.UserId, carol.Username, DateTimeOffset.UtcNow));
        await carols.WaitForAsync(_ => true, "carol's request");

        // The connect comment, then at least two heartbeats (one a second in tests).
        await Eventually.UntilAsync(() => stream.Comments >= 3, "heartbeat comments");
        Assert.Empty(stream.Events);
    }

    [Fact]
    public async Task A_browser_may_pass_the_token_in_the_query_but_only_for_an_event_stream()
    {
        var bob = await system.NewUserAsync("bob");
        await using (var stream = await SseClient.ConnectAsync(system.Notifications.BaseAddress, bob.AccessToken, tokenInQuery: true))
        {
            await Eventually.UntilAsync(() => stream.Comments >= 1, "the stream to open");
        }

        using var plain = await system.Notifications.CreateClient()
            .GetAsync("/notifications?access_token=" + Uri.EscapeDataString(bob.AccessToken), Cancellation);
        await plain.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_stream_without_a_token_or_with_a_bad_Last_Event_ID_is_refused()
    {
        var bob = await system.NewUserAsync("bob");
        var (anonymousClient, anonymous) = await SseClient.OpenAsync(system.Notifications.BaseAddress, accessToken: null);
        using (anonymousClient)
        using (anonymous)
        {
            // The client accepts only text/event-stream, so the refusal carries no problem document.
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var (badClient, bad) = await SseClient.OpenAsync(system.Notifications.BaseAddress, bob.AccessToken, lastEventId: "yesterday");
        using (badClient)
        using (bad)
        {
            var problem = await bad.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.NotEmpty(problem.FieldErrors("lastEventId"));
        }
    }

    [Fact]
    public async Task Logging_out_ends_the_sessions_stream_and_leaves_other_devices_open()
    {
        var bob = await system.NewUserAsync("bob");
        var otherDevice = await system.Auth.CreateClient().LoginAsync(bob.Username);
        await using var stream = await system.StreamAsync(bob);
        await using var other = await system.StreamAsync(otherDevice);
        await Eventually.UntilAsync(() => stream.Comments >= 1 && other.Comments >= 1, "both streams to open");

        using (var logout = await system.Auth.CreateClient(bob.AccessToken).PostAsJsonAsync("/logout", new { }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        await stream.Ended.WaitAsync(SseClient.Timeout, Cancellation);
        Assert.False(other.Ended.IsCompleted);
        var (againClient, again) = await SseClient.OpenAsync(system.Notifications.BaseAddress, bob.AccessToken);
        using (againClient)
        using (again)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        }
    }
}
