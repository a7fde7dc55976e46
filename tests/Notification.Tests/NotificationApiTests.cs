using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messenger.Contracts.Friendships;
using Messenger.Testing;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;
using Notification.Api.Domain;
using Notification.Tests.Infrastructure;

namespace Notification.Tests;

/// <summary>The list, read state, unread count and settings routes, including bad input and other users' ids.</summary>
public sealed class NotificationApiTests(NotificationSystem system) : IClassFixture<NotificationSystem>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private async Task<List<Guid>> RequestsForAsync(Tokens user, int count)
    {
        var from = await system.NewUserAsync("from");
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var requestId = Guid.NewGuid();
            ids.Add(requestId);
            await system.PublishAsync(new FriendRequestSent(requestId, from.UserId, from.Username, user.UserId, user.Username, DateTimeOffset.UtcNow));
        }

        await Eventually.GetAsync(() => system.ListAsync(user), l => l.Count == count, $"{count} notifications");
        return ids;
    }

    private async Task<JsonElement> GetAsync(Tokens user, string path)
    {
        using var response = await system.Client(user).GetAsync(path, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }

    [Fact]
    public async Task The_list_pages_newest_first_with_a_cursor_and_can_show_only_unread()
    {
        var bob = await system.NewUserAsync("bob");
        var requests = await RequestsForAsync(bob, 5);

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await GetAsync(bob, "/notifications?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.InRange(items.Count, 1, 2);
            seen.AddRange(items.Select(i => i.GetProperty("data").GetProperty("requestId").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(requests), seen);
        var newest = (await system.ListAsync(bob))[0].GetProperty("id").GetGuid();
        using (await system.Client(bob).PostAsync($"/notifications/{newest}/read", null, Cancellation))
        {
        }

        var unread = await GetAsync(bob, "/notifications?unreadOnly=true");
        Assert.Equal(4, unread.GetProperty("items").GetArrayLength());
        Assert.DoesNotContain(newest, unread.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
    }

    [Theory]
    [InlineData("/notifications?limit=0", "limit")]
    [InlineData("/notifications?limit=101", "limit")]
    [InlineData("/notifications?cursor=not-a-cursor", "cursor")]
    public async Task Bad_paging_is_refused_with_the_parameter_named(string path, string field)
    {
        var bob = await system.NewUserAsync("bob");
        using var response = await system.Client(bob).GetAsync(path, Cancellation);
        Assert.NotEmpty((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors(field));
    }

    [Fact]
    public async Task Reading_one_then_all_updates_read_state_and_the_unread_count()
    {
        var bob = await system.NewUserAsync("bob");
        await RequestsForAsync(bob, 3);
        Assert.Equal(3, (await GetAsync(bob, "/notifications/unread-count")).GetProperty("count").GetInt32());
        var id = (await system.ListAsync(bob))[0].GetProperty("id").GetGuid();

        using (var read = await system.Client(bob).PostAsync($"/notifications/{id}/read", null, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            var body = await read.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
            Assert.Equal(id, body.GetProperty("id").GetGuid());
            Assert.Equal(JsonValueKind.String, body.GetProperty("readAt").ValueKind);
        }

        using (var again = await system.Client(bob).PostAsync($"/notifications/{id}/read", null, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.Equal(2, (await GetAsync(bob, "/notifications/unread-count")).GetProperty("count").GetInt32());
        using (var all = await system.Client(bob).PostAsync("/notifications/read-all", null, Cancellation))
        {
            Assert.Equal(2, (await all.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("read").GetInt32());
        }

        Assert.Equal(0, (await GetAsync(bob, "/notifications/unread-count")).GetProperty("count").GetInt32());
        Assert.All(await system.ListAsync(bob), n => Assert.Equal(JsonValueKind.String, n.GetProperty("readAt").ValueKind));
    }

    [Fact]
    public async Task Another_users_notification_is_not_found_and_stays_unread()
    {
        var bob = await system.NewUserAsync("bob");
        var mallory = await system.NewUserAsync("mallory");
        await RequestsForAsync(bob, 1);
        var id = (await system.ListAsync(bob))[0].GetProperty("id").GetGuid();

        using (var foreign = await system.Client(mallory).PostAsync($"/notifications/{id}/read", null, Cancellation))
        {
            await foreign.AssertProblemAsync(HttpStatusCode.NotFound);
        }

        using (var unknown = await system.Client(mallory).PostAsync($"/notifications/{Guid.NewGuid()}/read", null, Cancellation))
        {
            await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        }

        using (var notAnId = await system.Client(mallory).PostAsync("/notifications/12345/read", null, Cancellation))
        {
            await notAnId.AssertProblemAsync(HttpStatusCode.NotFound);
        }

        Assert.Equal(JsonValueKind.Null, (await system.ListAsync(bob))[0].GetProperty("readAt").ValueKind);
        Assert.Empty(await system.ListAsync(mallory));
    }

    [Fact]
    public async Task Every_route_but_the_vapid_key_needs_a_signed_in_user()
    {
        var anonymous = system.Notifications.CreateClient();
        foreach (var path in new[] { "/notifications", "/notifications/unread-count", "/notifications/settings", "/notifications/push-subscriptions" })
        {
            using var response = await anonymous.GetAsync(path, Cancellation);
            await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        using var readAll = await anonymous.PostAsync("/notifications/read-all", null, Cancellation);
        await readAll.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Readiness_checks_the_stores_and_OpenAPI_describes_every_route()
    {
        var anonymous = system.Notifications.CreateClient();
        var ready = await anonymous.GetFromJsonAsync<JsonElement>("/health/ready", Cancellation);
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Equal(["postgres", "redis"], ready.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).Where(n => n != "self").Order());

        var paths = (await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Cancellation)).GetProperty("paths");
        foreach (var path in new[]
        {
            "/notifications", "/notifications/unread-count", "/notifications/{id}/read", "/notifications/read-all", "/notifications/stream",
            "/notifications/settings", "/notifications/push-subscriptions", "/notifications/push-subscriptions/{id}", "/notifications/vapid-public-key",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
        }
    }

    [Fact]
    public async Task Settings_are_read_back_and_bad_ones_are_refused()
    {
        var bob = await system.NewUserAsync("bob");
        var muted = new[] { Guid.NewGuid(), Guid.NewGuid() };
        using (var put = await system.Client(bob).PutAsJsonAsync("/notifications/settings", new { mutedConversationIds = muted }, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var settings = await GetAsync(bob, "/notifications/settings");
        Assert.Equal(muted.Order(), settings.GetProperty("mutedConversationIds").EnumerateArray().Select(i => i.GetGuid()));

        foreach (var body in new object[] { new { }, new { mutedConversationIds = Enumerable.Range(0, 1001).Select(_ => Guid.NewGuid()) } })
        {
            using var bad = await system.Client(bob).PutAsJsonAsync("/notifications/settings", body, Cancellation);
            Assert.NotEmpty((await bad.AssertProblemAsync(HttpStatusCode.BadRequest)).FieldErrors("mutedConversationIds"));
        }

        using var wrongType = await system.Client(bob).PutAsync("/notifications/settings",
            new StringContent("{\"mutedConversationIds\": [\"nope\"]}", System.Text.Encoding.UTF8, "application/json"), Cancellation);
        await wrongType.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(2, (await GetAsync(bob, "/notifications/settings")).GetProperty("mutedConversationIds").GetArrayLength());
    }

    [Fact]
    public async Task Retention_deletes_read_notifications_after_the_retention_period_and_unread_ones_after_the_longer_one()
    {
        var bob = await system.NewUserAsync("bob");
        await RequestsForAsync(bob, 2);
        var read = (await system.ListAsync(bob))[0].GetProperty("id").GetGuid();
        using (await system.Client(bob).PostAsync($"/notifications/{read}/read", null, Cancellation))
        {
        }

        var retention = system.Notifications.Services.GetRequiredService<NotificationRetention>();
        await retention.PurgeAsync(DateTimeOffset.UtcNow.AddDays(29), Cancellation);
        Assert.Equal(2, (await system.ListAsync(bob)).Count);

        await retention.PurgeAsync(DateTimeOffset.UtcNow.AddDays(31), Cancellation);
        var left = Assert.Single(await system.ListAsync(bob));
        Assert.NotEqual(read, left.GetProperty("id").GetGuid());

        await retention.PurgeAsync(DateTimeOffset.UtcNow.AddDays(91), Cancellation);
        Assert.Empty(await system.ListAsync(bob));
    }
}
