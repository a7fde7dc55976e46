using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messenger.Bench.Load;

/// <summary>A conversation of the traffic and the indexes of the clients in it.</summary>
internal sealed record TrafficConversation(Guid Id, IReadOnlyList<int> Members);

/// <summary>
/// Chat traffic from clients that survive faults (<see cref="ResumingChatClient"/>): every client
/// writes into its conversation at a steady pace whether or not its socket is up (what cannot be
/// sent waits in its outbox), and the run ends with a settle phase that waits until every message
/// is acked and every member has every acked message.
/// </summary>
internal sealed class ResumingTraffic : IAsyncDisposable
{
    private readonly CancellationTokenSource stopSending = new();
    private Task? pacing;

    private ResumingTraffic(DeliveryLedger ledger, IReadOnlyList<ResumingChatClient> clients, IReadOnlyList<TrafficConversation> conversations)
    {
        Ledger = ledger;
        Clients = clients;
        Conversations = conversations;
    }

    public DeliveryLedger Ledger { get; }

    public IReadOnlyList<ResumingChatClient> Clients { get; }

    public IReadOnlyList<TrafficConversation> Conversations { get; }

    /// <summary>Seconds the senders ran.</summary>
    public double SendSeconds { get; private set; }

    /// <summary>When the senders began (a <see cref="Stopwatch"/> timestamp; 0 before).</summary>
    public long SendingSince { get; private set; }

    /// <summary>Seconds since the senders began at a <see cref="Stopwatch"/> timestamp.</summary>
    public double SecondsAt(long timestamp) => SendingSince == 0 ? 0 : (double)(timestamp - SendingSince) / Stopwatch.Frequency;

    /// <summary>
    /// Opens a new group conversation for every <paramref name="groupSize"/> users (client i is user i;
    /// the conversation of client i is i / groupSize) and connects every client, spread over the Chat
    /// instances (client i starts on instance i mod n, so the members of a pair sit on different ones).
    /// </summary>
    public static async Task<ResumingTraffic> OpenAsync(Uri auth, IReadOnlyList<Uri> chats, IReadOnlyList<Tokens> users, int groupSize = 2, int parallel = 8, TimeSpan? openTimeout = null)
    {
        var ledger = new DeliveryLedger();
        var clients = users.Select((user, i) => new ResumingChatClient(i, user, auth, chats, ledger)).ToList();
        var groups = users.Count / groupSize;
        var conversations = new TrafficConversation[groups];
        await Parallel.ForEachAsync(Enumerable.Range(0, groups), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (g, _) =>
        {
            var members = Enumerable.Range(g * groupSize, groupSize).ToList();
            var id = await OpenGroupAsync(chats[g % chats.Count], users[members[0]], [.. members.Skip(1).Select(m => users[m].UserId)], $"load {ledger.RunTag} {g}");
            conversations[g] = new TrafficConversation(id, members);
        });
        foreach (var conversation in conversations)
        {
            foreach (var member in conversation.Members)
            {
                clients[member].Join(conversation.Id);
            }
        }

        foreach (var client in clients)
        {
            client.Start();
        }

        var traffic = new ResumingTraffic(ledger, clients, conversations);
        var allowed = openTimeout ?? TimeSpan.FromSeconds(60);
        var deadline = DateTime.UtcNow + allowed;
        while (clients.Any(c => !c.IsOpen))
        {
            if (DateTime.UtcNow > deadline)
            {
                await traffic.DisposeAsync();
                throw new TimeoutException($"{clients.Count(c => !c.IsOpen)} of {clients.Count} chat sockets did not open within {allowed.TotalSeconds:0} s.");
            }

            await Task.Delay(50);
        }

        return traffic;
    }

    /// <summary>
    /// A group of the given members. Chat learns of users from Auth's events, so a user registered a
    /// moment ago may be unknown to it for a short while (400 naming the members).
    /// </summary>
    public static async Task<Guid> OpenGroupAsync(Uri chat, Tokens owner, IReadOnlyList<Guid> others, string title)
    {
        using var http = MessengerClient.Http(chat, owner.AccessToken);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await http.PostAsJsonAsync("/chat", new { type = "group", title, memberIds = others });
            if (response.IsSuccessStatusCode)
            {
                return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("conversationId").GetGuid();
            }

            if (response.StatusCode != HttpStatusCode.BadRequest || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"POST /chat answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Every client writes <paramref name="rate"/>/clients messages a second into its first conversation until <see cref="StopSendingAsync"/>.</summary>
    public void StartSending(double rate)
    {
        var perClient = rate / Clients.Count;
        var interval = Stopwatch.Frequency / perClient;
        var conversationOf = new Guid[Clients.Count];
        foreach (var conversation in Conversations)
        {
            foreach (var member in conversation.Members)
            {
                conversationOf[member] = conversation.Id;
            }
        }

        pacing = Task.Run(async () =>
        {
            var start = SendingSince = Stopwatch.GetTimestamp();
            // Clients are spread evenly over each interval rather than all writing at once.
            var due = Clients.Select((_, i) => start + (long)(interval * i / Clients.Count)).ToArray();
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            try
            {
                while (await timer.WaitForNextTickAsync(stopSending.Token))
                {
                    var now = Stopwatch.GetTimestamp();
                    for (var i = 0; i < Clients.Count; i++)
                    {
                        while (due[i] <= now)
                        {
                            Clients[i].Send(conversationOf[i]);
                            due[i] += (long)interval;
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }

            SendSeconds = (double)(Stopwatch.GetTimestamp() - start) / Stopwatch.Frequency;
        });
    }

    public async Task StopSendingAsync()
    {
        await stopSending.CancelAsync();
        if (pacing is not null)
        {
            await pacing;
        }
    }

    /// <summary>Messages not acked yet, over all clients.</summary>
    public int Unacked => Clients.Sum(c => c.Unacked);

    /// <summary>(member, conversation) pairs where the member lacks some acked message.</summary>
    public int Behind()
    {
        var lastAcked = Ledger.Messages.Where(m => m.IsAcked).GroupBy(m => m.ConversationId).ToDictionary(g => g.Key, g => g.Max(m => m.Seq));
        return Conversations.Sum(c => c.Members.Count(m => Clients[m].Contiguous(c.Id) < lastAcked.GetValueOrDefault(c.Id)));
    }

    /// <summary>Waits until every message is acked and every member caught up, or the time is up; true when settled.</summary>
    public async Task<bool> SettleAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Unacked > 0 || Behind() > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(250);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await StopSendingAsync();
        await Task.WhenAll(Clients.Select(c => c.DisposeAsync().AsTask()));
        stopSending.Dispose();
    }
}
