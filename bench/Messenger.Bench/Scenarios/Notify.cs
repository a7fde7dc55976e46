using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;
using Messenger.Bench.Reporting;
using Messenger.Contracts.Chat;
using Messenger.EventBus;
using Messenger.EventBus.Outbox;
using Messenger.EventBus.Transport;
using Messenger.ServiceDefaults.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static Messenger.Bench.Reporting.Format;

namespace Messenger.Bench.Scenarios;

/// <summary>
/// notify: event → SSE. (1) A <c>MessageSent</c> put on the event log (as Chat's relay does) until its
/// notification reaches the user's <c>GET /notifications/stream</c>, at a steady rate and as a burst, with
/// one and two Notification instances; (2) the whole path from a chat socket's <c>send</c> to the
/// recipient's stream (Chat, its outbox relay, the log, Notification).
/// </summary>
internal static class Notify
{
    private const int Users = 100;

    public static async Task RunAsync(BenchContext context)
    {
        var o = context.Options;
        var latencySeconds = o.Double("latency-seconds", 10, 5);
        var rate = o.Int("rate", 100, 100);
        var burst = o.Int("burst", 10_000, 3_000);
        var instanceCounts = o.Ints("instances", [1, 2], [1, 2]);
        var report = context.NewReport("Notifications: event → SSE latency and notifications per second");
        await using var sampler = new ProcessSampler();
        sampler.Watch("generator", Environment.ProcessId);
        var rows = new List<Row>();
        Percentiles? endToEnd = null;
        foreach (var instances in instanceCounts)
        {
            var spec = context.Spec(new SystemSpec { Durable = context.Durable, NotificationInstances = instances, ChatInstances = instances == instanceCounts[0] ? 1 : 0 })
                .With("notification", "Notifications:Stream:BufferSize", "100000")
                .With("chat", "Chat:RateLimit:Burst", "1000000")
                .With("chat", "Chat:RateLimit:PerSecond", "1000000");
            if (rows.Count == 0)
            {
                report.Setup.Add(spec.DescribeDurability() + ".");
            }

            BenchContext.Say($"Starting PostgreSQL, Redis, Auth{(spec.ChatInstances > 0 ? ", Chat" : "")} and {instances} Notification instance(s)");
            await using var system = await MessengerSystem.StartAsync(spec, sampler, context.LogDirectory);
            var users = await MessengerClient.RegisterManyAsync(system.Auth.BaseAddress, Users, "notify", parallel: 8);
            var arrivals = new ConcurrentDictionary<Guid, ConcurrentQueue<(long LastSeq, long At)>>();
            var highest = new ConcurrentDictionary<Guid, long>();
            var streams = new List<SseStream>();
            for (var i = 0; i < users.Length; i++)
            {
                streams.Add(await SseStream.OpenAsync(system.Notifications[i % instances].BaseAddress, users[i].AccessToken, (conversation, lastSeq, at) =>
                {
                    arrivals.GetOrAdd(conversation, _ => new()).Enqueue((lastSeq, at));
                    highest.AddOrUpdate(conversation, lastSeq, (_, seen) => Math.Max(seen, lastSeq));
                }));
            }

            using var publisher = StartPublisher(system.Redis.ConnectionString);
            var transport = publisher.Services.GetRequiredService<IEventPublisherTransport>();
            var conversations = users.ToDictionary(u => u.UserId, _ => Guid.NewGuid());
            var seq = 0L;
            await BurstAsync(transport, users, conversations, 500, () => ++seq, highest, arrivals);

            var window = sampler.Begin();
            var latencies = await AtRateAsync(transport, users, conversations, rate, TimeSpan.FromSeconds(latencySeconds), () => ++seq, highest, arrivals);
            var latencyUse = window.End();
            window = sampler.Begin();
            var (events, elapsed) = await BurstAsync(transport, users, conversations, burst, () => ++seq, highest, arrivals);
            var burstUse = window.End();
            rows.Add(new Row(instances, Percentiles.Of(latencies), events / elapsed.TotalSeconds, elapsed.TotalSeconds, latencyUse, burstUse));
            BenchContext.Say($"{instances} instance(s): event→SSE p50 {rows[^1].Latency.P50:0.0} ms p99 {rows[^1].Latency.P99:0.0} ms; burst {rows[^1].PerSecond:N0}/s");

            if (spec.ChatInstances > 0)
            {
                endToEnd = await ChatToStreamAsync(system, users, highest, arrivals, latencySeconds);
                BenchContext.Say($"chat send → SSE: p50 {endToEnd.P50:0.0} ms p99 {endToEnd.P99:0.0} ms");
            }

            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }

        Write(report, rows, endToEnd, rate, latencySeconds, burst);
        await report.WriteAsync();
    }

    private static IHost StartPublisher(string redis)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "Messenger.Bench", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventBus:Transport"] = "redis",
            ["ConnectionStrings:redis"] = redis,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddMessengerRedis();
        builder.AddEventBus();
        return builder.Build();
    }

    private static TransportMessage Message(Tokens recipient, Guid conversationId, long seq)
    {
        var sender = Guid.NewGuid();
        var row = OutboxWriter.CreateRow(new MessageSent(conversationId, "direct", null, Guid.CreateVersion7(), seq, sender, "sender",
            "text", "message " + seq, [sender, recipient.UserId], DateTimeOffset.UtcNow));
        return new TransportMessage(row.Topic, row.Key, row.EventId, row.Type, row.Payload);
    }

    private static async Task<List<double>> AtRateAsync(IEventPublisherTransport transport, Tokens[] users, Dictionary<Guid, Guid> conversations, int rate, TimeSpan duration,
        Func<long> nextSeq, ConcurrentDictionary<Guid, long> highest, ConcurrentDictionary<Guid, ConcurrentQueue<(long LastSeq, long At)>> arrivals)
    {
        var sent = new List<(Guid Conversation, long Seq, long At)>();
        var total = (int)(rate * duration.TotalSeconds);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < total; i++)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)(i * (double)Stopwatch.Frequency / rate));
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var user = users[i % users.Length];
            var (conversation, seq) = (conversations[user.UserId], nextSeq());
            var message = Message(user, conversation, seq);
            sent.Add((conversation, seq, Stopwatch.GetTimestamp()));
            await transport.PublishAsync([message], CancellationToken.None);
        }

        await WaitForAllAsync([.. sent.Select(s => (s.Conversation, s.Seq))], highest);
        return [.. sent.Select(s => StepLedger.Milliseconds(s.At, ArrivalOf(arrivals, s.Conversation, s.Seq)!.Value))];
    }

    private static async Task<(int Events, TimeSpan Elapsed)> BurstAsync(IEventPublisherTransport transport, Tokens[] users, Dictionary<Guid, Guid> conversations, int count,
        Func<long> nextSeq, ConcurrentDictionary<Guid, long> highest, ConcurrentDictionary<Guid, ConcurrentQueue<(long LastSeq, long At)>> arrivals)
    {
        var expected = new List<(Guid Conversation, long Seq)>(count);
        var messages = new List<TransportMessage>(count);
        for (var i = 0; i < count; i++)
        {
            var user = users[i % users.Length];
            var (conversation, seq) = (conversations[user.UserId], nextSeq());
            expected.Add((conversation, seq));
            messages.Add(Message(user, conversation, seq));
        }

        var start = Stopwatch.GetTimestamp();
        foreach (var chunk in messages.Chunk(500))
        {
            await transport.PublishAsync(chunk, CancellationToken.None);
        }

        await WaitForAllAsync(expected, highest);
        var last = expected.Max(e => ArrivalOf(arrivals, e.Conversation, e.Seq)!.Value);
        return (count, Stopwatch.GetElapsedTime(start, last));
    }

    /// <summary>The first state of a conversation's grouped notification that counts message <paramref name="seq"/>.</summary>
    private static long? ArrivalOf(ConcurrentDictionary<Guid, ConcurrentQueue<(long LastSeq, long At)>> arrivals, Guid conversation, long seq) =>
        arrivals.TryGetValue(conversation, out var states) && states.Where(s => s.LastSeq >= seq).Select(s => (long?)s.At).Min() is { } at ? at : null;

    private static async Task WaitForAllAsync(List<(Guid Conversation, long Seq)> messages, ConcurrentDictionary<Guid, long> highest)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        var pending = messages.ToList();
        while (pending.Count > 0)
        {
            pending.RemoveAll(m => highest.TryGetValue(m.Conversation, out var seen) && seen >= m.Seq);
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{pending.Count} notifications never reached their stream.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>
    /// 50 senders, each in a direct conversation with one of the stream holders (who has no chat socket
    /// open, so is notified), one message a second each; from the send frame to the notification.
    /// </summary>
    private static async Task<Percentiles> ChatToStreamAsync(MessengerSystem system, Tokens[] recipients, ConcurrentDictionary<Guid, long> highest,
        ConcurrentDictionary<Guid, ConcurrentQueue<(long LastSeq, long At)>> arrivals, double seconds)
    {
        var senders = await MessengerClient.RegisterManyAsync(system.Auth.BaseAddress, 50, "sender", parallel: 8);
        var conversations = new Guid[senders.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, senders.Length), async (i, _) =>
            conversations[i] = await MessengerClient.OpenDirectAsync(system.Chat.BaseAddress, senders[i], recipients[i].UserId));
        var sockets = new List<LoadSocket>();
        for (var i = 0; i < senders.Length; i++)
        {
            sockets.Add(await LoadSocket.ConnectAsync(MessengerClient.ChatSocketUri(system.Chat.BaseAddress, senders[i].AccessToken), Protocol.Messenger, i));
        }

        var acked = new ConcurrentDictionary<string, long>();
        foreach (var socket in sockets)
        {
            socket.OnFrame = (_, frame, _) =>
            {
                using var json = JsonDocument.Parse(frame);
                if (json.RootElement.GetProperty("type").GetString() == "ack")
                {
                    acked[json.RootElement.GetProperty("clientMessageId").GetString()!] = json.RootElement.GetProperty("seq").GetInt64();
                }
            };
        }

        var sent = new List<(Guid Conversation, string Id, long At)>();
        var rounds = (int)seconds;
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < sockets.Count; i++)
            {
                var id = $"n{round}.{i}";
                var frame = Encoding.UTF8.GetBytes($"{{\"type\":\"send\",\"conversationId\":\"{conversations[i]}\",\"clientMessageId\":\"{id}\",\"content\":{{\"kind\":\"text\",\"text\":\"{FrameTemplate.Text}\"}}}}");
                sent.Add((conversations[i], id, Stopwatch.GetTimestamp()));
                await sockets[i].SendAsync(frame);
                await Task.Delay(1000 / sockets.Count);
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (acked.Count < sent.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var expected = sent.Where(s => acked.ContainsKey(s.Id)).Select(s => (s.Conversation, acked[s.Id])).ToList();
        await WaitForAllAsync(expected, highest);
        var latencies = sent.Where(s => acked.ContainsKey(s.Id)).Select(s => StepLedger.Milliseconds(s.At, ArrivalOf(arrivals, s.Conversation, acked[s.Id])!.Value)).ToList();
        await ChatThroughput.DisposeAllAsync(sockets);
        return Percentiles.Of(latencies);
    }

    private static void Write(Report report, List<Row> rows, Percentiles? endToEnd, int rate, double seconds, int burst)
    {
        report.Setup.Add($"**System**: Auth and the Notification instance(s) as separate processes (Release, Production environment, Redis Streams event log); {Users} users " +
            "keep an SSE stream open, spread over the instances. Each event is a `MessageSent` to one user in that user's conversation, so it updates the user's " +
            "grouped notification (the upsert path) and goes out on the stream.");
        report.Json["headline"] = rows.Count == 0 ? "" : $"event→SSE p99 {Ms(rows[0].Latency.P99)} ms, {N(rows[0].PerSecond)} notifications/s per instance" +
            (endToEnd is null ? "" : $"; chat send→SSE p99 {Ms(endToEnd.P99)} ms");
        report.Heading("Event on the log → notification on the stream");
        report.Paragraph($"*latency*: {rate} events/s for {seconds:0} s, from publishing the event on the log to its notification arriving on the user's stream " +
            $"(consumer, transaction, Redis channel, SSE write). *throughput*: {burst:N0} events put on the log at once; notifications per second until the last one reached its stream.");
        report.Table(["instances", "p50", "p90", "p99", "max", "notifications/s (all)", "per instance", "burst drain", "CPU notification (burst)", "CPU postgres (burst)"],
            rows.Select(r => (IReadOnlyList<string>)[r.Instances.ToString(CultureInfo.InvariantCulture), Ms(r.Latency.P50) + " ms", Ms(r.Latency.P90) + " ms", Ms(r.Latency.P99) + " ms",
                Ms(r.Latency.Max) + " ms", N(r.PerSecond), N(r.PerSecond / r.Instances), $"{r.BurstSeconds:0.00} s",
                Pct(r.BurstUse.Where(u => u.Name.StartsWith("notification", StringComparison.Ordinal)).Sum(u => u.CpuPercent)), Pct(r.BurstUse.FirstOrDefault(u => u.Name == "postgres")?.CpuPercent ?? double.NaN)]));
        Charts.Bars(report, "notify-rate.png", "Notifications per second (burst)", "per second", [.. rows.Select(r => ($"{r.Instances} instance(s)", r.PerSecond))]);
        report.Image("notify-rate.png", "notifications per second by instances");
        if (endToEnd is not null)
        {
            report.Heading("Chat message → notification on the stream");
            report.Paragraph("50 people each send one message a second over their chat socket to someone who has only the notification stream open. From the " +
                "`send` frame to the notification that counts the message: Chat's group commit, its outbox relay to Redis Streams, Notification's consumer and the SSE write.");
            report.Table(["messages", "p50", "p90", "p99", "max"], [[N(endToEnd.Count), Ms(endToEnd.P50) + " ms", Ms(endToEnd.P90) + " ms", Ms(endToEnd.P99) + " ms", Ms(endToEnd.Max) + " ms"]]);
        }

        report.Paragraph("Each instance handles its events one after another per topic (one transaction each: the processed-event mark, the user's change number " +
            "and the grouping upsert), so one instance's rate is bounded by that transaction's round trips and, with durable commits, its WAL flush; more " +
            "instances share the stream through the consumer group. Everything shares the same two cores here.");
        report.Json["rows"] = JsonSerializer.SerializeToNode(rows.Select(r => new { r.Instances, r.Latency, r.PerSecond, r.BurstSeconds, r.LatencyUse, r.BurstUse }), Report.JsonOptions);
        report.Json["chatToStream"] = JsonSerializer.SerializeToNode(endToEnd, Report.JsonOptions);
    }

    private sealed record Row(int Instances, Percentiles Latency, double PerSecond, double BurstSeconds, IReadOnlyList<ProcessUse> LatencyUse, IReadOnlyList<ProcessUse> BurstUse);
}
