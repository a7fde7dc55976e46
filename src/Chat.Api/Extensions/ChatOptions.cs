using System.ComponentModel.DataAnnotations;

namespace Chat.Api.Extensions;

/// <summary>Chat's settings (section <c>Chat</c>), validated at start-up.</summary>
public sealed class ChatOptions
{
    public const string SectionName = "Chat";

    /// <summary><c>postgres</c> (JSONB documents, the single-node default) or <c>mongodb</c>.</summary>
    [RegularExpression("^(postgres|mongodb)$", ErrorMessage = "Chat:Store must be 'postgres' or 'mongodb'.")]
    public string Store { get; set; } = ChatStores.Postgres;

    /// <summary>A frame larger than this closes the socket with 1009.</summary>
    [Range(1_024, 16 * 1024 * 1024)]
    public int MaxFrameBytes { get; set; } = 64 * 1024;

    /// <summary>Frames waiting for a slow client; when it falls this far behind it is disconnected (and resyncs by seq).</summary>
    [Range(16, 1_000_000)]
    public int OutgoingQueueFrames { get; set; } = 4_096;

    /// <summary>
    /// Frames waiting to go to other instances through Redis (while Redis is slow or away); beyond
    /// it frames are dropped and their recipients' instances told to resync those users' sockets.
    /// </summary>
    [Range(1, 10_000_000)]
    public int ForwardQueueFrames { get; set; } = 200_000;

    /// <summary>How often the server pings an idle socket.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a ping may go unanswered before the socket is dropped.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>Messages one <c>sync</c> answer carries at most (then <c>hasMore</c> asks for another).</summary>
    [Range(1, 10_000)]
    public int SyncPageSize { get; set; } = 500;

    [Required]
    public RateLimitOptions RateLimit { get; set; } = new();

    [Required]
    public WriterOptions Writer { get; set; } = new();

    [Required]
    public MongoStoreOptions Mongo { get; set; } = new();
}

public static class ChatStores
{
    public const string Postgres = "postgres";
    public const string MongoDb = "mongodb";
}

/// <summary>Token buckets per connection and per user for every frame but ping.</summary>
public sealed class RateLimitOptions
{
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 60;

    [Range(0.01, 1_000_000)]
    public double PerSecond { get; set; } = 10;

    /// <summary>The burst of one user across all connections to one instance; twice <see cref="Burst"/> when not set.</summary>
    [Range(1, 1_000_000)]
    public int? PerUserBurst { get; set; }

    /// <summary>The refill of one user across all connections to one instance; twice <see cref="PerSecond"/> when not set.</summary>
    [Range(0.01, 1_000_000)]
    public double? PerUserPerSecond { get; set; }
}

/// <summary>The group-commit writer.</summary>
public sealed class WriterOptions
{
    /// <summary>Messages stored per transaction at most.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Batches stored at the same time, each on its own connection; a conversation always goes to the
    /// same lane, so its seqs and deliveries keep their order.
    /// </summary>
    [Range(1, 64)]
    public int Lanes { get; set; } = 1;

    /// <summary>Messages accepted but not yet stored (over all lanes); when full, sockets wait before reading more frames.</summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 50_000;
}

public sealed class MongoStoreOptions
{
    /// <summary>The database holding the <c>conversations</c> and <c>messages</c> collections.</summary>
    [Required]
    public string Database { get; set; } = "chat";
}
