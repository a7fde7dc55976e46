using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Notification.Api.Data;

namespace Notification.Api.Domain;

/// <summary>
/// A notification as clients see it (DESIGN §3a): <c>{id, kind, data, createdAt, readAt}</c>, plus when it
/// last changed, a one-line <c>text</c> to show, and <c>withdrawnAt</c> when it was taken back (only ever
/// seen on the live stream, which tells devices to drop it).
/// </summary>
public sealed record NotificationView(
    Guid Id,
    string Kind,
    JsonObject Data,
    string Text,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? ReadAt,
    DateTimeOffset? WithdrawnAt)
{
    public static NotificationView From(NotificationRow row)
    {
        var data = JsonNode.Parse(row.Data) as JsonObject ?? [];
        if (row.Kind == NotificationKinds.Messages)
        {
            data["count"] = row.Count;
            data["senders"] = new JsonArray([.. (row.Senders ?? []).Select(s => JsonValue.Create(s))]);
            data["lastPreview"] = row.LastPreview;
            data["firstSeq"] = row.FirstSeq;
            data["lastSeq"] = row.LastSeq;
        }

        return new NotificationView(row.Id, row.Kind, data, Describe(row, data), row.CreatedAt, row.UpdatedAt, row.ReadAt, row.WithdrawnAt);
    }

    private static string Describe(NotificationRow row, JsonObject data) => row.Kind switch
    {
        NotificationKinds.FriendRequest => $"{Read(data, "fromUsername")} sent you a friend request",
        NotificationKinds.FriendAccepted => $"{Read(data, "friendUsername")} accepted your friend request",
        NotificationKinds.Messages => DescribeMessages(row, data),
        _ => row.Kind,
    };

    private static string DescribeMessages(NotificationRow row, JsonObject data)
    {
        var senders = row.Senders ?? [];
        var from = senders.Count switch
        {
            0 => "",
            1 => $" from {senders[0]}",
            2 => $" from {senders[0]} and {senders[1]}",
            _ => $" from {senders[0]} and {senders.Count - 1} others",
        };
        var what = row.Count == 1 ? "1 new message" : $"{row.Count} new messages";
        var title = Read(data, "title");
        return title is null ? what + from : $"{what}{from} in {title}";
    }

    private static string? Read(JsonObject data, string name) =>
        data.TryGetPropertyValue(name, out var value) && value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
