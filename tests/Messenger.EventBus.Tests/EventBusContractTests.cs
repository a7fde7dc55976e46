using System.Diagnostics;
using System.Text;
using Messenger.Contracts;
using Messenger.EventBus.Consumers;
using Messenger.EventBus.Outbox;
using Messenger.EventBus.Tests.Infrastructure;
using Messenger.EventBus.Transport;
using Messenger.ServiceDefaults.Redis;
using Messenger.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Messenger.EventBus.Tests;

/// <summary>
/// What every transport of the event log must do. Runs once on Redis Streams (a real redis-server)
/// and once on Kafka (librdkafka's Kafka-protocol broker).
/// </summary>
public abstract class EventBusContractTests(TestServers servers)
{
    private const string Group = "notification";

    protected TestServers Servers { get; } = servers;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>A fresh event log; with <paramref name="privateServer"/> one that the test may stop.</summary>
    protected abstract Task<TransportEnvironment> CreateEnvironmentAsync(bool privateServer = false);

    private static Action<IServiceCollection> Pings(params string[] groups) => services =>
    {
        foreach (var group in groups.DefaultIfEmpty(Group))
        {
            services.AddEventConsumer(group).Handle<Pinged, PingHandler>();
        }
    };

    private static Action<IServiceCollection> BatchPings() => services => services.AddEventConsumer(Group).Handle<Pinged, BatchPingHandler>();

    [Fact]
    public async Task Events_arrive_once_in_order_per_key_with_their_envelope_intact()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings());
        var start = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
        var sent = (from seq in Enumerable.Range(1, 20)
                    from key in new[] { "alice", "bob", "carol" }
                    select (Event: new Pinged(key, seq), Message: BusHost.Message(new Pinged(key, seq), start.AddMilliseconds(seq * 1.5))))
            .ToList();

        foreach (var batch in sent.Chunk(20))
        {
            await host.PublishAsync(batch.Select(s => s.Message).ToArray());
        }

        await Eventually.UntilAsync(() => probe.Handled.Count >= sent.Count, $"{sent.Count} events handled");
        var handled = probe.Handled.ToList();
        Assert.Equal(sent.Select(s => s.Message.EventId).Order(), handled.Select(h => h.EventId).Order());
        foreach (var key in new[] { "alice", "bob", "carol" })
        {
            Assert.Equal(Enumerable.Range(1, 20), handled.Where(h => h.Key == key).Select(h => h.Event.Seq));
        }

        foreach (var (@event, message) in sent)
        {
            var context = handled.Single(h => h.EventId == message.EventId);
            Assert.Equal(@event, context.Event);
            Assert.Equal(EventEnvelope.Parse(message.Body.Span).OccurredAt, context.OccurredAt);
            Assert.Equal(Pinged.TopicName, context.Topic);
            Assert.Equal(@event.Key, context.Key);
            Assert.Equal(Group, context.ConsumerGroup);
            Assert.Equal(1, context.Attempt);
        }
    }

    [Fact]
    public async Task Every_consumer_group_receives_every_event()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings("notification", "search"));
        var messages = Enumerable.Range(1, 15).Select(i => BusHost.Message(new Pinged("key-" + (i % 4), i))).ToArray();

        await host.PublishAsync(messages);

        await Eventually.UntilAsync(() => probe.Handled.Count >= 2 * messages.Length, "both groups handling every event");
        var expected = messages.Select(m => m.EventId).Order();
        Assert.Equal(expected, probe.HandledBy("notification").Select(h => h.EventId).Order());
        Assert.Equal(expected, probe.HandledBy("search").Select(h => h.EventId).Order());
    }

    [Fact]
    public async Task Handler_that_fails_twice_is_retried_and_its_event_handled_exactly_once()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings());
        var flaky = BusHost.Message(new Pinged("alice", 1, PingBehavior.FailTwiceThenSucceed));
        var next = BusHost.Message(new Pinged("alice", 2));

        await host.PublishAsync(flaky, next);

        await Eventually.UntilAsync(() => probe.Handled.Count >= 2, "both events handled");
        Assert.Equal([1, 2, 3], probe.Attempts.Where(a => a.EventId == flaky.EventId).Select(a => a.Attempt));
        Assert.Equal([flaky.EventId, next.EventId], probe.Handled.Select(h => h.EventId));
        Assert.Equal(3, probe.Handled.First().Attempt);
    }

    [Fact]
    public async Task Event_whose_handler_always_fails_is_dead_lettered_with_its_error_and_later_events_still_flow()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings());
        await using var deadLetters = DeadLetterReader.Start(host, Pinged.TopicName);
        var before = BusHost.Message(new Pinged("alice", 1));
        var poison = BusHost.Message(new Pinged("alice", 2, PingBehavior.AlwaysFail));
        var after = BusHost.Message(new Pinged("alice", 3));

        await host.PublishAsync(before, poison, after);

        await Eventually.UntilAsync(() => probe.Handled.Count >= 2 && !deadLetters.Messages.IsEmpty, "the good events handled and the poison parked");
        Assert.Equal([before.EventId, after.EventId], probe.Handled.Select(h => h.EventId));
        Assert.Equal(3, probe.InvocationsOf(poison.EventId));
        var parked = Assert.Single(deadLetters.Messages);
        Assert.Equal(Topics.DeadLetter(Pinged.TopicName), parked.Topic);
        Assert.Equal(poison.EventId.ToString(), parked.EventId);
        Assert.Equal("alice", parked.Key);
        Assert.Equal(poison.Body.ToArray(), parked.Body.ToArray());
        Assert.Equal(typeof(InvalidOperationException).FullName, parked.Headers[MessageHeaders.ErrorType]);
        Assert.Equal("ping 2 always fails", parked.Headers[MessageHeaders.ErrorMessage]);
        Assert.Equal(Group, parked.Headers[MessageHeaders.ConsumerGroup]);
        Assert.Equal("3", parked.Headers[MessageHeaders.Attempts]);
        Assert.True(DateTimeOffset.TryParse(parked.Headers[MessageHeaders.FailedAt], out _));
    }

    [Fact]
    public async Task A_batch_handler_gets_the_events_read_together_at_once_in_order()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        var sent = Enumerable.Range(1, 20).Select(i => BusHost.Message(new Pinged("alice", i))).ToArray();
        // Published before anyone reads, so the consumer finds them all at once.
        await using (var publisher = await BusHost.StartAsync(environment, probe, _ => { }))
        {
            await publisher.PublishAsync(sent);
        }

        await using var host = await BusHost.StartAsync(environment, probe, BatchPings());

        await Eventually.UntilAsync(() => probe.Handled.Count >= sent.Length, "every event handled");
        Assert.Equal(sent.Select(m => m.EventId), probe.Handled.Select(h => h.EventId));
        Assert.Contains(probe.Batches, batch => batch.Count > 1);
        // Each event was handed over once: in a batch, or alone when a read held just that one.
        Assert.Equal(sent.Length, probe.Batches.Sum(b => b.Count) + probe.Attempts.Count);
    }

    [Fact]
    public async Task A_failing_batch_is_handled_one_event_at_a_time_so_only_the_poison_event_is_dead_lettered()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        var sent = Enumerable.Range(1, 10)
            .Select(i => BusHost.Message(new Pinged("alice", i, i == 6 ? PingBehavior.AlwaysFail : PingBehavior.Succeed)))
            .ToArray();
        await using (var publisher = await BusHost.StartAsync(environment, probe, _ => { }))
        {
            await publisher.PublishAsync(sent);
        }

        await using var host = await BusHost.StartAsync(environment, probe, BatchPings());
        await using var deadLetters = DeadLetterReader.Start(host, Pinged.TopicName);

        await Eventually.UntilAsync(() => probe.Handled.Count >= 9 && !deadLetters.Messages.IsEmpty, "the good events handled and the poison parked");
        var poison = sent[5];
        Assert.Equal(sent.Where(m => m != poison).Select(m => m.EventId), probe.Handled.Select(h => h.EventId));
        Assert.Contains(probe.Batches, batch => batch.Contains(poison.EventId) && batch.Count > 1);
        Assert.Equal(3, probe.InvocationsOf(poison.EventId));
        Assert.Equal(poison.EventId.ToString(), Assert.Single(deadLetters.Messages).EventId);
    }

    [Fact]
    public async Task Message_that_is_not_an_event_envelope_is_dead_lettered_and_later_events_still_flow()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings());
        await using var deadLetters = DeadLetterReader.Start(host, Pinged.TopicName);
        var garbage = new TransportMessage(Pinged.TopicName, "alice", Guid.CreateVersion7(), "Pinged", Encoding.UTF8.GetBytes("{\"id\": not json"));
        var notAnEnvelope = new TransportMessage(Pinged.TopicName, "alice", Guid.CreateVersion7(), "Pinged", Encoding.UTF8.GetBytes("{\"hello\":\"world\"}"));
        var after = BusHost.Message(new Pinged("alice", 1));

        await host.PublishAsync(garbage, notAnEnvelope, after);

        await Eventually.UntilAsync(() => !probe.Handled.IsEmpty && deadLetters.Messages.Count >= 2, "the event handled and both bad messages parked");
        Assert.Equal(after.EventId, Assert.Single(probe.Handled).EventId);
        var parked = deadLetters.Messages.ToList();
        Assert.Equal([garbage.EventId.ToString(), notAnEnvelope.EventId.ToString()], parked.Select(p => p.EventId));
        Assert.Equal("{\"id\": not json", Encoding.UTF8.GetString(parked[0].Body.Span));
        Assert.All(parked, p => Assert.Equal("MalformedEvent", p.Headers[MessageHeaders.ErrorType]));
        Assert.All(parked, p => Assert.Equal("0", p.Headers[MessageHeaders.Attempts]));
        Assert.Contains("not an event envelope", parked[0].Headers[MessageHeaders.ErrorMessage], StringComparison.Ordinal);
        Assert.Equal("The envelope has no id.", parked[1].Headers[MessageHeaders.ErrorMessage]);
    }

    [Fact]
    public async Task Event_of_a_type_the_group_does_not_handle_is_skipped_not_dead_lettered()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings());
        await using var deadLetters = DeadLetterReader.Start(host, Pinged.TopicName);
        var other = BusHost.Message(new Ponged("alice"));
        var poison = BusHost.Message(new Pinged("alice", 1, PingBehavior.AlwaysFail));
        var after = BusHost.Message(new Pinged("alice", 2));

        await host.PublishAsync(other, poison, after);

        // One key keeps one order, in the dead-letter topic too: had the unknown event been parked, it would come first.
        await Eventually.UntilAsync(() => !probe.Handled.IsEmpty && !deadLetters.Messages.IsEmpty, "the poison parked and the next event handled");
        Assert.Equal(poison.EventId.ToString(), Assert.Single(deadLetters.Messages).EventId);
        Assert.Equal(after.EventId, Assert.Single(probe.Handled).EventId);
        Assert.Equal(0, probe.InvocationsOf(other.EventId));
    }

    [Fact]
    public async Task Event_a_stopped_consumer_did_not_acknowledge_is_redelivered_to_the_next_member_of_its_group()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        var interrupted = BusHost.Message(new Pinged("alice", 1, PingBehavior.HangOnFirstDelivery));
        await using (var first = await BusHost.StartAsync(environment, probe, Pings()))
        {
            await first.PublishAsync(interrupted);
            await Eventually.UntilAsync(() => probe.InvocationsOf(interrupted.EventId) == 1, "the first member to start handling");
        }

        Assert.Empty(probe.Handled);
        await using var second = await BusHost.StartAsync(environment, probe, Pings());
        var later = BusHost.Message(new Pinged("alice", 2));
        await second.PublishAsync(later);

        await Eventually.UntilAsync(() => probe.Handled.Count >= 2, "the interrupted event and the next one handled");
        Assert.Equal(2, probe.InvocationsOf(interrupted.EventId));
        Assert.Equal([interrupted.EventId, later.EventId], probe.Handled.Select(h => h.EventId).Order());
    }

    [Fact]
    public async Task Relay_publishes_events_committed_with_their_change_and_nothing_from_a_rolled_back_transaction()
    {
        await using var environment = await CreateEnvironmentAsync();
        var database = await TestDbContext.CreateDatabaseAsync(Servers.Postgres);
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings(), database);

        await WriteNoteWithEventAsync(host, new Pinged("alice", 1), commit: true);
        await WriteNoteWithEventAsync(host, new Pinged("alice", 2), commit: false);
        await WriteNoteWithEventAsync(host, new Pinged("alice", 3), commit: true);

        await Eventually.UntilAsync(() => probe.Handled.Count >= 2, "the committed events handled");
        await Eventually.UntilAsync(async () => await CountOutboxAsync(database) == 0, "the outbox drained");
        Assert.Equal([1, 3], probe.Handled.Select(h => h.Event.Seq));
        await using var db = TestDbContext.Open(database);
        Assert.Equal(["ping 1", "ping 3"], await db.Notes.Select(n => n.Text).Order().ToListAsync(Cancellation));
    }

    [Fact]
    public async Task Handler_runs_in_the_trace_of_the_work_that_wrote_the_event()
    {
        using var source = new ActivitySource("Messenger.EventBus.Tests");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Messenger.EventBus.Tests" or "Messenger.EventBus",
            Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        await using var environment = await CreateEnvironmentAsync();
        var database = await TestDbContext.CreateDatabaseAsync(Servers.Postgres);
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings(), database);

        ActivityTraceId request;
        using (var activity = source.StartActivity("POST /notes"))
        {
            request = activity!.TraceId;
            await WriteNoteWithEventAsync(host, new Pinged("alice", 1), commit: true);
        }

        await Eventually.UntilAsync(() => !probe.Handled.IsEmpty, "the event handled");
        Assert.Equal(request, probe.Traces[probe.Handled.Single().EventId]);
    }

    [Fact]
    public async Task Rows_written_in_a_service_own_transaction_with_OutboxWriter_are_published()
    {
        await using var environment = await CreateEnvironmentAsync();
        var database = await TestDbContext.CreateDatabaseAsync(Servers.Postgres);
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings(), database);
        var copied = Enumerable.Range(1, 5).Select(i => OutboxWriter.CreateRow(new Pinged("alice", i))).ToList();
        var batched = Enumerable.Range(6, 3).Select(i => OutboxWriter.CreateRow(new Pinged("alice", i))).ToList();

        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync(Cancellation);
            await using var transaction = await connection.BeginTransactionAsync(Cancellation);
            Assert.Equal(5UL, await OutboxWriter.CopyAsync(connection, copied, Cancellation));
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var row in batched)
            {
                batch.BatchCommands.Add(OutboxWriter.InsertCommand(row));
            }

            await batch.ExecuteNonQueryAsync(Cancellation);
            await transaction.CommitAsync(Cancellation);
        }

        host.Services.GetRequiredService<OutboxSignal>().Notify();

        await Eventually.UntilAsync(() => probe.Handled.Count >= 8, "every row published and handled");
        Assert.Equal(Enumerable.Range(1, 8), probe.Handled.Select(h => h.Event.Seq));
        Assert.Equal(copied.Concat(batched).Select(r => r.EventId), probe.Handled.Select(h => h.EventId));
    }

    [Fact]
    public async Task Broker_outage_during_publishing_loses_no_event()
    {
        await using var environment = await CreateEnvironmentAsync(privateServer: true);
        var database = await TestDbContext.CreateDatabaseAsync(Servers.Postgres);
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, Pings(), database);
        await WriteNoteWithEventAsync(host, new Pinged("warm-up", 0), commit: true);
        await Eventually.UntilAsync(() => probe.Handled.Count == 1, "the event log to work before the outage");

        await environment.TakeDownAsync();
        var written = new List<Pinged>();
        for (var i = 1; i <= 40; i++)
        {
            var ping = new Pinged(i % 2 == 0 ? "alice" : "bob", i);
            await WriteNoteWithEventAsync(host, ping, commit: true);
            written.Add(ping);
        }

        // The relay has tried, failed and rolled back: the events wait in the outbox.
        await Eventually.UntilAsync(() => host.Warnings.Any(w => w.Contains("outbox relay of TestDbContext could not publish", StringComparison.Ordinal)),
            "the relay to fail against the stopped event log");
        Assert.Equal(40, await CountOutboxAsync(database));
        await environment.BringUpAsync();

        await Eventually.UntilAsync(() => probe.Handled.Where(h => h.Event.Seq > 0).DistinctBy(h => h.EventId).Count() >= 40,
            "every event written during the outage", TimeSpan.FromSeconds(60));
        await Eventually.UntilAsync(async () => await CountOutboxAsync(database) == 0, "the outbox drained");
        // Delivery is at-least-once: an event handled just before the outage whose offset commit was
        // lost to it comes again (idempotent handlers absorb that). What must hold is that none is
        // missing and each key's events were first handled in the order they were written.
        var firstHandlings = probe.Handled.Where(h => h.Event.Seq > 0).DistinctBy(h => h.EventId).ToList();
        Assert.Equal(40, firstHandlings.Count);
        foreach (var key in new[] { "alice", "bob" })
        {
            Assert.Equal(written.Where(w => w.Key == key).Select(w => w.Seq), firstHandlings.Where(h => h.Key == key).Select(h => h.Event.Seq));
        }
    }

    [Fact]
    public async Task Idempotent_handler_applies_an_event_delivered_twice_only_once()
    {
        await using var environment = await CreateEnvironmentAsync();
        var database = await TestDbContext.CreateDatabaseAsync(Servers.Postgres);
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe,
            services => services.AddEventConsumer("ledger").Handle<Credited, CreditHandler>(), database);
        var credit = BusHost.Message(new Credited("alice", 10));
        var other = BusHost.Message(new Credited("alice", 5));

        await host.PublishAsync(credit, credit, other);

        // The probe counts a delivery when its handler starts; the effect is visible once it commits.
        // The three share a key, so they are handled in order: once the last one's credit is
        // stored, the duplicate before it has been handled too.
        await Eventually.UntilAsync(() => probe.InvocationsOf(credit.EventId) == 2 && probe.InvocationsOf(other.EventId) == 1, "all three deliveries started");
        await using var db = TestDbContext.Open(database);
        await Eventually.UntilAsync(() => db.Credits.AnyAsync(c => c.EventId == other.EventId, Cancellation), "the last credit stored");
        var credits = await db.Credits.OrderBy(c => c.Id).ToListAsync(Cancellation);
        Assert.Equal([(credit.EventId, 10), (other.EventId, 5)], credits.Select(c => (c.EventId, c.Amount)));
    }

    [Fact]
    public async Task Event_whose_database_is_down_waits_for_it_past_its_attempts_instead_of_being_parked()
    {
        await using var environment = await CreateEnvironmentAsync();
        await using var postgres = await PostgresServer.StartAsync(Cancellation);
        var database = await TestDbContext.CreateDatabaseAsync(postgres);
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe,
            services => services.AddEventConsumer("ledger").Handle<Credited, CreditHandler>(), database);
        await using var deadLetters = DeadLetterReader.Start(host, Credited.Topic);
        var credit = BusHost.Message(new Credited("alice", 10));

        await postgres.StopAsync(Cancellation);
        await host.PublishAsync(credit);
        // Three failures of the event itself would park it; the outage outlasts twice as many attempts.
        await Eventually.UntilAsync(() => probe.InvocationsOf(credit.EventId) >= 6, "six attempts while the database is down");
        await postgres.RestartAsync(Cancellation);

        await using var db = TestDbContext.Open(database);
        await Eventually.UntilAsync(() => db.Credits.AnyAsync(c => c.EventId == credit.EventId, Cancellation), "the credit stored once the database is back");
        Assert.Equal(1, await db.Credits.CountAsync(Cancellation));
        Assert.Empty(deadLetters.Messages);
    }

    private static async Task WriteNoteWithEventAsync(BusHost host, Pinged ping, bool commit)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(Cancellation);
        db.Notes.Add(new Note { Text = "ping " + ping.Seq });
        db.AddOutboxEvent(ping);
        await db.SaveChangesAsync(Cancellation);
        if (commit)
        {
            await transaction.CommitAsync(Cancellation);
        }
        else
        {
            await transaction.RollbackAsync(Cancellation);
        }
    }

    private static async Task<int> CountOutboxAsync(string database)
    {
        await using var db = TestDbContext.Open(database);
        return await db.Outbox.CountAsync(Cancellation);
    }
}

public sealed class RedisStreamsTransportTests(TestServers servers) : EventBusContractTests(servers)
{
    protected override async Task<TransportEnvironment> CreateEnvironmentAsync(bool privateServer = false) =>
        privateServer
            ? new RedisEnvironment(await RedisServer.StartAsync(TestContext.Current.CancellationToken), ownsServer: true)
            : new RedisEnvironment(Servers.Redis, ownsServer: false);

    [Fact]
    public async Task Poison_event_stays_unacknowledged_while_its_dead_letter_cannot_be_written()
    {
        await using var environment = await CreateEnvironmentAsync();
        var probe = new Probe();
        await using var host = await BusHost.StartAsync(environment, probe, services =>
            services.AddEventConsumer("notification").Handle<Pinged, PingHandler>());
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var keyspace = host.Services.GetRequiredService<RedisKeyspace>();
        var deadLetterStream = keyspace.Key(Topics.DeadLetter(Pinged.TopicName));
        // A plain string where the dead-letter stream belongs makes every XADD to it fail (WRONGTYPE).
        await redis.StringSetAsync(deadLetterStream, "in the way");
        var poison = BusHost.Message(new Pinged("alice", 1, PingBehavior.AlwaysFail));

        await host.PublishAsync(poison);

        // Three attempts, a failed dead-letter write, then the same entry again: it was not acknowledged.
        await Eventually.UntilAsync(() => probe.InvocationsOf(poison.EventId) >= 6, "the poison event delivered a second time");
        var pending = await redis.StreamPendingAsync(keyspace.Key(Pinged.TopicName), "notification");
        Assert.Equal(1, pending.PendingMessageCount);

        await redis.KeyDeleteAsync(deadLetterStream);
        await using var deadLetters = DeadLetterReader.Start(host, Pinged.TopicName);
        await Eventually.UntilAsync(() => !deadLetters.Messages.IsEmpty, "the poison event parked once the dead-letter stream is writable");
        await Eventually.UntilAsync(async () => (await redis.StreamPendingAsync(keyspace.Key(Pinged.TopicName), "notification")).PendingMessageCount == 0,
            "the poison event acknowledged after it was parked");
        Assert.Equal(poison.EventId.ToString(), Assert.Single(deadLetters.Messages).EventId);
    }
}

public sealed class KafkaTransportTests(TestServers servers) : EventBusContractTests(servers)
{
    // Every test gets its own in-process broker: starting one takes milliseconds, and topics and
    // groups then never leak between tests.
    protected override Task<TransportEnvironment> CreateEnvironmentAsync(bool privateServer = false) =>
        Task.FromResult<TransportEnvironment>(new KafkaEnvironment());
}
