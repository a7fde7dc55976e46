using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Messenger.Bench.Infrastructure;
using Messenger.Bench.Load;
using Messenger.Bench.Reporting;
using static Messenger.Bench.Reporting.Format;

namespace Messenger.Bench.Scenarios;

/// <summary>
/// soak: many connections exchanging messages for a long time (10,000 for 10 minutes by default)
/// through Chat and Notification, the RSS of every server process sampled every few seconds. The
/// verdict "flat memory" holds when no process's lowest RSS in the second half is above its lowest
/// RSS in the first half (after the first minute's warm-up) by more than the bound. RSS of a
/// garbage-collected process is a sawtooth, so single readings (the one at half time may fall on a
/// collection's low) say little; a leak lifts the lows. PostgreSQL keeps the messages, and its
/// shared buffers (1 GB here) fill with them as they come: its bound includes what its data grew. The clients are the reconnecting ones of the
/// fault tests, so the run ends with the same audit: every acked message once in history, at its
/// recipient and in the grouped notifications.
/// </summary>
internal static class Soak
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(BenchContext context)
    {
        var o = context.Options;
        var connections = o.Int("connections", 10_000, 2_000);
        var minutes = o.Double("minutes", 10, 2);
        // One message every 20 s per connection by default: a busy chat, not a flood.
        var rate = o.Double("rate", connections / 20.0, connections / 20.0);
        var chatInstances = o.Int("chat-instances", 1, 1);
        var notificationInstances = o.Int("notification-instances", 1, 1);
        var boundMiB = o.Double("bound-mib", 32, 32);
        var boundShare = o.Double("bound-percent", 5, 5) / 100;
        var audit = o.Flag("audit", fallback: true);
        var report = context.NewReport($"Soak: {N(connections)} connections exchanging messages for {minutes:0.#} minutes");
        await using var sampler = new ProcessSampler();
        sampler.Watch("generator", Environment.ProcessId);
        var spec = context.Spec(new SystemSpec { Durable = context.Durable, ChatInstances = chatInstances, NotificationInstances = notificationInstances });
        report.Setup.Add(spec.DescribeDurability() + ".");
        report.Setup.Add($"**System**: Auth, {chatInstances} Chat and {notificationInstances} Notification instance(s) as separate processes (Release, Production environment, Redis Streams event log).");
        report.Setup.Add($"**Load**: {N(connections)} WebSockets of {N(connections)} users in two-member groups, {N(rate)} messages/s in all " +
            $"(one every {connections / rate:0.#} s per connection), for {minutes:0.#} min; clients reconnect, sync by seq and resend unacked messages like the web client.");
        report.Setup.Add($"**Memory**: RSS of every process every {SampleEvery.TotalSeconds:0} s (PostgreSQL: PSS summed over its processes). " +
            $"Flat = the lowest RSS of the second half exceeds the lowest of the first half (after the first minute) by less than {boundMiB:0} MiB or {boundShare:P0} of it, whichever is larger; " +
            "for PostgreSQL, whose shared buffers fill with the messages it keeps, by less than that plus what its data grew over the second half.");

        BenchContext.Say($"Starting PostgreSQL, Redis, Auth, {chatInstances} Chat and {notificationInstances} Notification instance(s)");
        await using var system = await MessengerSystem.StartAsync(spec, sampler, context.LogDirectory);
        BenchContext.Say($"Registering {N(connections)} users");
        var users = await MessengerClient.RegisterManyAsync(system.Auth.BaseAddress, connections, "soak", parallel: 8);
        BenchContext.Say($"Opening {N(connections / 2)} conversations and {N(connections)} sockets");
        var chats = system.Chats.Select(c => c.BaseAddress).ToList();
        await using var traffic = await ResumingTraffic.OpenAsync(system.Auth.BaseAddress, chats, users, openTimeout: TimeSpan.FromMinutes(5));

        var names = sampler.Names.ToList();
        var series = names.ToDictionary(n => n, _ => new List<(double Minute, double MiB)>());
        await using var stores = await StoreProbe.OpenAsync(system.Redis.ConnectionString, system.Postgres.ConnectionString);
        var held = new List<(double Minute, StoreReading Reading)>();
        var clock = Stopwatch.StartNew();
        var duration = TimeSpan.FromMinutes(minutes);
        traffic.StartSending(rate);
        BenchContext.Say($"Sending {N(rate)} messages/s for {minutes:0.#} min");
        while (clock.Elapsed < duration)
        {
            foreach (var name in names)
            {
                series[name].Add((clock.Elapsed.TotalMinutes, sampler.MemoryMiB(name)));
            }

            held.Add((clock.Elapsed.TotalMinutes, await stores.ReadAsync()));

            // Read the clock once: the run may end between two readings, and a negative delay throws.
            var elapsed = clock.Elapsed;
            var next = SampleEvery - TimeSpan.FromTicks(elapsed.Ticks % SampleEvery.Ticks);
            var remaining = duration - elapsed;
            await Task.Delay(remaining <= TimeSpan.Zero ? TimeSpan.Zero : next < remaining ? next : remaining + TimeSpan.FromMilliseconds(1));
        }

        foreach (var name in names)
        {
            series[name].Add((clock.Elapsed.TotalMinutes, sampler.MemoryMiB(name)));
        }

        held.Add((clock.Elapsed.TotalMinutes, await stores.ReadAsync()));
        await traffic.StopSendingAsync();
        BenchContext.Say($"Sent {N(traffic.Ledger.Created)} messages, {N(traffic.Ledger.Acked)} acked; settling");
        var settled = await traffic.SettleAsync(TimeSpan.FromMinutes(2));
        DeliveryCounts? counts = null;
        if (audit)
        {
            BenchContext.Say("Auditing history, deliveries and notifications");
            counts = await DeliveryAudit.RunAsync("soak", traffic, chats[0], (system.Notifications.Count > 0 ? system.Notifications[0].BaseAddress : null), TimeSpan.FromMinutes(3));
        }

        StoreReading At(double minute) => held.MinBy(h => Math.Abs(h.Minute - minute)).Reading;
        var storeColumns = new[] { Math.Min(1, minutes / 2), minutes / 2, minutes }.Select(At).ToList();
        var dataGrowthMiB = Math.Max(0, storeColumns[2].PostgresDataMiB - storeColumns[1].PostgresDataMiB);
        var rows = names.Select(name => Growth(name, series[name], minutes, boundMiB + (name == "postgres" ? dataGrowthMiB : 0), boundShare)).ToList();
        var servers = rows.Where(r => r.Name != "generator").ToList();
        var flat = servers.All(r => r.Flat);
        var verdict = flat ? "flat memory" : "memory grows: " + string.Join(", ", servers.Where(r => !r.Flat).Select(r => $"{r.Name} +{r.GrowthMiB:0} MiB"));

        Charts.Lines(report, "rss.png", $"RSS of each process, {N(connections)} connections, {N(rate)} msg/s", "minutes", "MiB",
            names.Select(n => new Charts.Series(n, [.. series[n].Select(p => p.Minute)], [.. series[n].Select(p => p.MiB)])),
            verticalLine: (minutes / 2, "half time"));
        report.Heading("Memory");
        report.Paragraph($"**Verdict: {verdict}.**");
        report.Image("rss.png", "RSS of every process over the run");
        report.Table(["process", "RSS at 1 min", "at half time", "at the end", "lowest, first half", "lowest, second half", "growth of the lowest", "bound", "flat"],
            rows.Select(r => (IReadOnlyList<string>)[r.Name, Mib(r.AtOneMinute), Mib(r.AtHalf), Mib(r.AtEnd), Mib(r.LowestFirstHalf), Mib(r.LowestSecondHalf), Signed(r.GrowthMiB), Mib(r.BoundMiB),
                r.Name == "generator" ? "(not judged)" : r.Flat ? "yes" : "**no**"]),
            "lrrrrrrrl");
        report.Paragraph($"What the stores held (a store's RSS follows the data it keeps; PostgreSQL's also its shared buffers as they fill; its bound above includes the {dataGrowthMiB:0} MiB its data grew over the second half):");
        report.Table(["", "at 1 min", "at half time", "at the end"],
            [
                ["Redis used_memory", .. storeColumns.Select(r => Mib(r.RedisUsedMiB))],
                ["event-log stream entries", .. storeColumns.Select(r => N(r.StreamEntries))],
                ["of them not yet handled by a consumer group", .. storeColumns.Select(r => N(r.UnreadEntries))],
                ["PostgreSQL databases", .. storeColumns.Select(r => Mib(r.PostgresDataMiB))],
            ], "lrrr");
        report.Heading("Messages");
        report.Paragraph($"{N(traffic.Ledger.Created)} messages written in {traffic.SendSeconds:0} s ({N(traffic.Ledger.Created / Math.Max(1, traffic.SendSeconds))}/s), " +
            $"{N(traffic.Ledger.Acked)} acked; {(settled ? "every message acked and every member caught up" : $"**not settled**: {traffic.Unacked} unacked, {traffic.Behind()} members behind")}.");
        if (counts is not null)
        {
            report.Table(["sent", "acked", "delivered", "lost", "duplicated", "unacked", "history gaps", "notifications (expected / counted)", "reconnects", "resends"],
                [[N(counts.Sent), N(counts.Acked), $"{N(counts.Delivered)} / {N(counts.ExpectedDeliveries)}", N(counts.Lost), N(counts.Duplicated), N(counts.Unacked),
                    N(counts.HistoryGaps + counts.HistoryOutOfOrder), $"{N(counts.NotificationsExpected)} / {N(counts.NotificationsCounted)}", N(counts.Reconnects), N(counts.Resends)]], "rrrrrrrlrr");
            report.Bullets(counts.Problems);
        }

        report.Json["headline"] = $"{N(connections)} connections, {minutes:0.#} min, {N(rate)} msg/s: {verdict}" +
            (counts is null ? "" : $"; lost {counts.Lost}, duplicated {counts.Duplicated}");
        report.Json["verdict"] = verdict;
        report.Json["flat"] = flat;
        report.Json["processes"] = JsonSerializer.SerializeToNode(rows, Report.JsonOptions);
        report.Json["rss"] = JsonSerializer.SerializeToNode(series.ToDictionary(s => s.Key, s => s.Value.Select(p => new[] { Math.Round(p.Minute, 3), Math.Round(p.MiB, 1) })), Report.JsonOptions);
        report.Json["messages"] = JsonSerializer.SerializeToNode(counts, Report.JsonOptions);
        report.Json["stores"] = JsonSerializer.SerializeToNode(held.Select(h => new { minute = Math.Round(h.Minute, 3), h.Reading }), Report.JsonOptions);
        await report.WriteAsync();
    }

    private sealed record ProcessGrowth(
        string Name, double AtOneMinute, double AtHalf, double AtEnd, double LowestFirstHalf, double LowestSecondHalf, double GrowthMiB, double BoundMiB, bool Flat);

    /// <summary>
    /// How much the lows rose: the lowest RSS of the second half against the lowest of the first half
    /// after the first minute (warm-up). The readings at 1 min, half time and the end (medians of the
    /// minute around them) are shown for the picture.
    /// </summary>
    private static ProcessGrowth Growth(string name, List<(double Minute, double MiB)> samples, double minutes, double boundMiB, double boundShare)
    {
        double Around(double minute) => Median([.. samples.Where(s => Math.Abs(s.Minute - minute) <= 0.5).Select(s => s.MiB)]);
        var warmUp = Math.Min(1, minutes / 4);
        var lowestFirst = samples.Where(s => s.Minute >= warmUp && s.Minute < minutes / 2).Select(s => s.MiB).DefaultIfEmpty(double.NaN).Min();
        var lowestSecond = samples.Where(s => s.Minute >= minutes / 2).Select(s => s.MiB).DefaultIfEmpty(double.NaN).Min();
        var growth = lowestSecond - lowestFirst;
        var bound = Math.Max(boundMiB, lowestFirst * boundShare);
        var atEnd = Median([.. samples.Where(s => s.Minute >= minutes - 1).Select(s => s.MiB)]);
        return new ProcessGrowth(name, Around(Math.Min(1, minutes / 2)), Around(minutes / 2), atEnd, lowestFirst, lowestSecond, growth, bound, growth < bound);
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        return values[values.Count / 2];
    }

    private static string Signed(double mib) => (mib >= 0 ? "+" : "") + mib.ToString("N0", CultureInfo.InvariantCulture) + " MiB";
}
