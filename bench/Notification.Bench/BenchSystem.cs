using System.Collections.Concurrent;
using System.Diagnostics;
using Messenger.Contracts.Chat;
using Messenger.EventBus.Outbox;
using Messenger.EventBus.Transport;
using Messenger.Testing;
using Messenger.Testing.Services;
using Microsoft.Extensions.DependencyInjection;

namespace Notification.Bench;

/// <summary>
/// Auth and one or more Notification instances over throwaway PostgreSQL and Redis (Redis Streams event
/// log), with users whose SSE streams are open (spread over the instances). Events are put on the log
/// the way Chat's relay does.
/// </summary>
internal sealed class BenchSystem : IAsyncDisposable
{
    private readonly TestServers servers;
    private readonly ServiceApp<Auth.Api.IApiMarker> auth;
    private readonly List<ServiceApp<Notification.Api.IApiMarker>> instances;
    private readonly List<BenchStream> streams = [];
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<(long LastSeq, long At)>> arrivals = new();
    private readonly ConcurrentDictionary<Guid, long> highest = new();

    private BenchSystem(TestServers servers, ServiceApp<Auth.Api.IApiMarker> auth, List<ServiceApp<Notification.Api.IApiMarker>> instances)
    {
        this.servers = servers;
        this.auth = auth;
        this.instances = instances;
    }

    public int Instances => instances.Count;

    public IReadOnlyList<Tokens> Users { get; private set; } = [];

    /// <summary>
    /// When message <paramref name="seq"/> of a conversation first showed on its user's stream (Stopwatch ticks): the first
    /// state of the grouped notification that counts it. Several instances may commit a conversation's messages out of order,
    /// so a state can cover an earlier message without naming it last.
    /// </summary>
    /// <summary>True once a state of the conversation's notification that counts message <paramref name="seq"/> arrived.</summary>
    public bool HasArrived(Guid conversationId, long seq) => highest.TryGetValue(conversationId, out var seen) && seen >= seq;

    public long? ArrivalOf(Guid conversationId, long seq) =>
        arrivals.TryGetValue(conversationId, out var states) && states.Where(s => s.LastSeq >= seq).Select(s => (long?)s.At).Min() is { } at ? at : null;

    public static async Task<BenchSystem> StartAsync(int instanceCount, int userCount)
    {
        var servers = new TestServers();
        await servers.InitializeAsync();
        var auth = new ServiceApp<Auth.Api.IApiMarker>(servers, "auth");
        auth.Settings["Logging:LogLevel:Default"] = "Warning";
        await auth.InitializeAsync();
        var instances = new List<ServiceApp<Notification.Api.IApiMarker>>();
        for (var i = 0; i < instanceCount; i++)
        {
            var app = new ServiceApp<Notification.Api.IApiMarker>(servers, "notifications", auth.RedisPrefix).TrustingTokensOf(auth);
            app.Settings["Logging:LogLevel:Default"] = "Warning";
            app.Settings["Notifications:Stream:BufferSize"] = "100000";
            if (instances.Count > 0)
            {
                app.Settings["ConnectionStrings:notifications"] = instances[0].DatabaseConnectionString;
            }

            await app.InitializeAsync();
            instances.Add(app);
        }

        var system = new BenchSystem(servers, auth, instances);
        var users = new ConcurrentBag<Tokens>();
        await Parallel.ForEachAsync(Enumerable.Range(0, userCount), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
            users.Add(await auth.CreateClient().RegisterAsync(AuthClient.NewUsername("bench"))));
        system.Users = [.. users];
        for (var i = 0; i < system.Users.Count; i++)
        {
            system.streams.Add(await BenchStream.OpenAsync(instances[i % instances.Count].BaseAddress, system.Users[i].AccessToken,
                (conversation, lastSeq, at) =>
                {
                    system.arrivals.GetOrAdd(conversation, _ => new()).Enqueue((lastSeq, at));
                    system.highest.AddOrUpdate(conversation, lastSeq, (_, seen) => Math.Max(seen, lastSeq));
                }));
        }

        return system;
    }

    /// <summary>A message to <paramref name="recipient"/> in their own conversation with a bench sender.</summary>
    public static TransportMessage Message(Tokens recipient, Guid conversationId, long seq)
    {
        var preview = "message " + seq;
        var sender = Guid.NewGuid();
        var row = OutboxWriter.CreateRow(new MessageSent(conversationId, "direct", null, Guid.CreateVersion7(), seq, sender, "sender",
            "text", preview, [sender, recipient.UserId], DateTimeOffset.UtcNow));
        return new TransportMessage(row.Topic, row.Key, row.EventId, row.Type, row.Payload);
    }

    public Task PublishAsync(IReadOnlyList<TransportMessage> messages) =>
        instances[0].Services.GetRequiredService<IEventPublisherTransport>().PublishAsync(messages, CancellationToken.None);

    public static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }

        foreach (var app in Enumerable.Reverse(instances))
        {
            await app.DisposeAsync();
        }

        await auth.DisposeAsync();
        await servers.DisposeAsync();
    }
}
