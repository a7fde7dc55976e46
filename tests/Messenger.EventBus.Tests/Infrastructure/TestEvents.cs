using Messenger.Contracts;

namespace Messenger.EventBus.Tests.Infrastructure;

/// <summary>What a <see cref="Pinged"/> handler does, so one handler can play every part.</summary>
public enum PingBehavior
{
    Succeed,
    FailTwiceThenSucceed,
    AlwaysFail,
    HangOnFirstDelivery,
}

public sealed record Pinged(string Key, int Seq, PingBehavior Behavior = PingBehavior.Succeed) : IIntegrationEvent
{
    public const string TopicName = "tests.pings";

    public static string EventType => "Pinged";
    public static string Topic => TopicName;
    public string PartitionKey => Key;
}

/// <summary>Shares the topic with <see cref="Pinged"/>; no test group handles it.</summary>
public sealed record Ponged(string Key) : IIntegrationEvent
{
    public static string EventType => "Ponged";
    public static string Topic => Pinged.TopicName;
    public string PartitionKey => Key;
}

/// <summary>A balance change, applied by an idempotent handler.</summary>
public sealed record Credited(string Account, int Amount) : IIntegrationEvent
{
    public static string EventType => "Credited";
    public static string Topic => "tests.credits";
    public string PartitionKey => Account;
}
