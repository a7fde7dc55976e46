using System.Text.Json;

namespace Messenger.Contracts;

/// <summary>
/// The value of every event on the event log: <c>{id, type, occurredAt, version, data}</c> (DESIGN §5).
/// </summary>
/// <remarks>
/// <see cref="Id"/> is the idempotency key consumers remember; <see cref="Type"/> and
/// <see cref="Version"/> select the data contract.
/// </remarks>
public sealed record EventEnvelope(Guid Id, string Type, DateTimeOffset OccurredAt, int Version, JsonElement Data)
{
    public static EventEnvelope Create<TEvent>(TEvent @event, DateTimeOffset occurredAt, Guid? id = null)
        where TEvent : IIntegrationEvent
    {
        var data = JsonSerializer.SerializeToElement(@event, EventJson.Options);
        return new EventEnvelope(id ?? Guid.CreateVersion7(occurredAt), TEvent.EventType, occurredAt, TEvent.Version, data);
    }

    public TEvent GetData<TEvent>() where TEvent : IIntegrationEvent =>
        Data.Deserialize<TEvent>(EventJson.Options)
        ?? throw new JsonException($"Event {Id} of type {Type} has no data.");

    public byte[] ToUtf8Bytes() => JsonSerializer.SerializeToUtf8Bytes(this, EventJson.Options);

    public static EventEnvelope Parse(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize<EventEnvelope>(utf8Json, EventJson.Options)
        ?? throw new JsonException("The event is empty.");
}
