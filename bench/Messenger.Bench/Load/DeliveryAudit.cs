using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messenger.Bench.Load;

/// <summary>
/// What a run of <see cref="ResumingTraffic"/> came to. <see cref="Lost"/>: acked messages missing
/// from history plus (acked message, recipient) pairs the recipient never got, live or by sync.
/// <see cref="Duplicated"/>: extra stored copies of one clientMessageId, acks or receipts naming
/// another message than the stored one. Notifications: per recipient and conversation, the count of
/// the one grouped notification against the messages others sent there.
/// </summary>
internal sealed record DeliveryCounts(
    string Name,
    int Sent,
    int Acked,
    int Refused,
    int Unacked,
    int ExpectedDeliveries,
    int Delivered,
    int LostFromHistory,
    int Undelivered,
    int Duplicated,
    int HistoryGaps,
    int HistoryOutOfOrder,
    int NotificationsExpected,
    int NotificationsCounted,
    int NotificationsLost,
    int NotificationsDuplicated,
    int Reconnects,
    int Resends,
    int GapSyncs,
    IReadOnlyDictionary<string, int> ErrorFrames,
    IReadOnlyList<string> Problems)
{
    public int Lost => LostFromHistory + Undelivered;

    /// <summary>Nothing acked was lost, stored twice, missing from a recipient or out of order; every send was acked; every notification counted once.</summary>
    public bool Exact => Lost == 0 && Duplicated == 0 && Unacked == 0 && Refused == 0 && HistoryGaps == 0 && HistoryOutOfOrder == 0
        && NotificationsLost == 0 && NotificationsDuplicated == 0;

    public static string TableHeader =>
        "| scenario | sent | acked | delivered | lost | duplicated | unacked | history gaps | notifications (expected / counted) | reconnects | resends | error frames |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|";

    public string TableLine =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {Name} | {Sent} | {Acked} | {Delivered} / {ExpectedDeliveries} | {Lost} | {Duplicated} | {Unacked} | {HistoryGaps + HistoryOutOfOrder} | " +
            $"{NotificationsExpected} / {NotificationsCounted} | {Reconnects} | {Resends} | {(ErrorFrames.Count == 0 ? "none" : string.Join(", ", ErrorFrames.OrderBy(e => e.Key).Select(e => $"{e.Key} {e.Value}")))} |");
}

internal static class DeliveryAudit
{
    private sealed record HistoryEntry(long Seq, Guid MessageId, Guid SenderId, string ClientMessageId);

    /// <summary>
    /// Reads every conversation's whole history over HTTP from <paramref name="chat"/> and, when a
    /// Notification service is given, waits (up to <paramref name="notificationWait"/>) until every
    /// recipient's grouped notification counts what was sent to them, then compares it all with what
    /// the clients were acked and received.
    /// </summary>
    public static async Task<DeliveryCounts> RunAsync(string name, ResumingTraffic traffic, Uri chat, Uri? notification, TimeSpan notificationWait)
    {
        var ledger = traffic.Ledger;
        var clients = traffic.Clients;
        // A long run (the soak) outlives the access tokens the clients started with.
        await Parallel.ForEachAsync(clients, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (client, _) => await client.RefreshTokensIfOldAsync());
        var problems = new List<string>();
        int lostFromHistory = 0, undelivered = 0, duplicated = 0, gaps = 0, outOfOrder = 0, expectedDeliveries = 0, delivered = 0;
        var byConversation = ledger.Messages.GroupBy(m => m.ConversationId).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var conversation in traffic.Conversations)
        {
            var reader = clients[conversation.Members[0]].User;
            var (history, ordered) = await ReadHistoryAsync(chat, reader.AccessToken, conversation.Id);
            outOfOrder += ordered ? 0 : 1;
            var seqs = history.Select(h => h.Seq).Order().ToList();
            var last = seqs.Count == 0 ? 0 : seqs[^1];
            // Seqs 1..last, each once.
            gaps += (int)(last - seqs.Distinct().Count()) + (seqs.Count - seqs.Distinct().Count());
            var stored = history.GroupBy(h => (h.SenderId, h.ClientMessageId)).ToDictionary(g => g.Key, g => g.ToList());
            duplicated += stored.Values.Sum(copies => copies.Count - 1);
            foreach (var message in byConversation.GetValueOrDefault(conversation.Id) ?? [])
            {
                duplicated += message.ConflictingAcks;
                if (!message.IsAcked)
                {
                    continue;
                }

                var sender = clients[message.Sender].User.UserId;
                if (!stored.TryGetValue((sender, message.ClientMessageId), out var copies))
                {
                    lostFromHistory++;
                    Note(problems, traffic, message, "acked but not in history");
                    continue;
                }

                if (copies[0].MessageId != message.MessageId || copies[0].Seq != message.Seq)
                {
                    duplicated++;
                }

                foreach (var member in conversation.Members.Where(m => m != message.Sender))
                {
                    expectedDeliveries++;
                    var got = clients[member].Received(conversation.Id, message.Seq);
                    if (got == message.MessageId)
                    {
                        delivered++;
                    }
                    else if (got is null)
                    {
                        undelivered++;
                        Note(problems, traffic, message, $"never reached client {member} (it has every message up to seq {clients[member].Contiguous(conversation.Id)})");
                    }
                    else
                    {
                        duplicated++;
                    }
                }
            }
        }

        duplicated += clients.Sum(c => c.ConflictingReceipts);
        var (expected, counted, notificationsLost, notificationsDuplicated) = notification is null
            ? (0, 0, 0, 0)
            : await CountNotificationsAsync(traffic, notification, notificationWait);
        var errors = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (code, count) in clients.SelectMany(c => c.Errors))
        {
            errors[code] = errors.GetValueOrDefault(code) + count;
        }

        var all = ledger.Messages.ToList();
        return new DeliveryCounts(name, all.Count, all.Count(m => m.IsAcked), all.Count(m => m.RefusedWith is not null),
            traffic.Unacked, expectedDeliveries, delivered, lostFromHistory, undelivered, duplicated, gaps, outOfOrder,
            expected, counted, notificationsLost, notificationsDuplicated,
            clients.Sum(c => c.Reconnects), clients.Sum(c => c.Resends), clients.Sum(c => c.GapSyncs), errors, problems);
    }

    private static void Note(List<string> problems, ResumingTraffic traffic, SentMessage message, string what)
    {
        // The first few say enough to find the cause.
        if (problems.Count < 20)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"seq {message.Seq} of conversation {message.ConversationId} from client {message.Sender}, written at {traffic.SecondsAt(message.CreatedAt):0.00} s and acked at {traffic.SecondsAt(message.AckedAt):0.00} s: {what}"));
        }
    }

    /// <summary>The whole history, oldest first, and whether every page came newest first as documented.</summary>
    private static async Task<(List<HistoryEntry> History, bool Ordered)> ReadHistoryAsync(Uri chat, string accessToken, Guid conversationId)
    {
        using var http = MessengerClient.Http(chat, accessToken);
        var history = new List<HistoryEntry>();
        var ordered = true;
        string? after = "0";
        while (after is not null)
        {
            var page = await http.GetFromJsonAsync<JsonElement>($"/chat/{conversationId}?after={after}&limit=100");
            var items = page.GetProperty("items").EnumerateArray().Select(m => new HistoryEntry(
                m.GetProperty("seq").GetInt64(), m.GetProperty("messageId").GetGuid(), m.GetProperty("senderId").GetGuid(),
                m.GetProperty("clientMessageId").GetString() ?? "")).ToList();
            for (var i = 1; i < items.Count; i++)
            {
                ordered &= items[i].Seq < items[i - 1].Seq;
            }

            history.AddRange(items);
            after = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
        }

        return ([.. history.OrderBy(h => h.Seq)], ordered);
    }

    /// <summary>
    /// Per (recipient, conversation): the messages others sent there and were acked, against the
    /// <c>count</c> of the recipient's unread <c>messages</c> notifications for it (a burst is one
    /// notification updated in place, so more than one, or a count above the messages, is a duplicate).
    /// </summary>
    private static async Task<(int Expected, int Counted, int Lost, int Duplicated)> CountNotificationsAsync(ResumingTraffic traffic, Uri notification, TimeSpan wait)
    {
        var expected = new Dictionary<(int Member, Guid Conversation), int>();
        foreach (var message in traffic.Ledger.Messages.Where(m => m.IsAcked))
        {
            var conversation = traffic.Conversations.First(c => c.Id == message.ConversationId);
            foreach (var member in conversation.Members.Where(m => m != message.Sender))
            {
                expected[(member, conversation.Id)] = expected.GetValueOrDefault((member, conversation.Id)) + 1;
            }
        }

        var deadline = DateTime.UtcNow + wait;
        Dictionary<(int, Guid), (int Count, int Groups)> counted;
        while (true)
        {
            counted = await ReadNotificationsAsync(traffic, notification, expected.Keys.Select(k => k.Member).Distinct());
            if (expected.All(e => counted.GetValueOrDefault(e.Key).Count == e.Value) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(500);
        }

        int lost = 0, duplicated = 0;
        foreach (var (key, count) in expected)
        {
            var (got, groups) = counted.GetValueOrDefault(key);
            lost += Math.Max(0, count - got);
            duplicated += Math.Max(0, got - count) + Math.Max(0, groups - 1);
        }

        return (expected.Values.Sum(), counted.Where(c => expected.ContainsKey(c.Key)).Sum(c => c.Value.Count), lost, duplicated);
    }

    private static async Task<Dictionary<(int, Guid), (int Count, int Groups)>> ReadNotificationsAsync(ResumingTraffic traffic, Uri notification, IEnumerable<int> members)
    {
        var result = new Dictionary<(int, Guid), (int Count, int Groups)>();
        foreach (var member in members)
        {
            using var http = MessengerClient.Http(notification, traffic.Clients[member].User.AccessToken);
            string? cursor = null;
            do
            {
                var page = await http.GetFromJsonAsync<JsonElement>("/notifications?unreadOnly=true&limit=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                foreach (var item in page.GetProperty("items").EnumerateArray())
                {
                    if (item.GetProperty("kind").GetString() != "messages")
                    {
                        continue;
                    }

                    var data = item.GetProperty("data");
                    var key = (member, data.GetProperty("conversationId").GetGuid());
                    var (count, groups) = result.GetValueOrDefault(key);
                    result[key] = (count + data.GetProperty("count").GetInt32(), groups + 1);
                }

                cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
            }
            while (cursor is not null);
        }

        return result;
    }
}
