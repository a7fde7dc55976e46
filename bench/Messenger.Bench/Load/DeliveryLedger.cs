using System.Collections.Concurrent;
using System.Diagnostics;

namespace Messenger.Bench.Load;

/// <summary>One message the generator wrote: its identity, and what the server said about it.</summary>
internal sealed class SentMessage(string clientMessageId, Guid conversationId, int sender)
{
    private readonly Lock gate = new();

    public string ClientMessageId { get; } = clientMessageId;

    public Guid ConversationId { get; } = conversationId;

    /// <summary>The index of the sending client.</summary>
    public int Sender { get; } = sender;

    public long CreatedAt { get; } = Stopwatch.GetTimestamp();

    public Guid MessageId { get; private set; }

    public long Seq { get; private set; }

    public long AckedAt { get; private set; }

    public int Acks { get; private set; }

    /// <summary>Acks of this clientMessageId that named another message or seq than the first ack: a duplicate store.</summary>
    public int ConflictingAcks { get; private set; }

    /// <summary>The error code of a refusal that is not worth retrying (the message is given up).</summary>
    public string? RefusedWith { get; private set; }

    public bool IsAcked => Acks > 0;

    internal void Ack(Guid messageId, long seq)
    {
        lock (gate)
        {
            if (Acks == 0)
            {
                MessageId = messageId;
                Seq = seq;
                AckedAt = Stopwatch.GetTimestamp();
            }
            else if (MessageId != messageId || Seq != seq)
            {
                ConflictingAcks++;
            }

            Acks++;
        }
    }

    internal void Refuse(string code) => RefusedWith ??= code;
}

/// <summary>
/// Everything the generator's clients created and were acked, shared by all of them; what each
/// client received is kept by the client (<see cref="ResumingChatClient.Received"/>).
/// </summary>
internal sealed class DeliveryLedger
{
    private readonly ConcurrentDictionary<string, SentMessage> messages = new(StringComparer.Ordinal);

    /// <summary>Makes clientMessageIds unique across runs against one system.</summary>
    public string RunTag { get; } = Guid.NewGuid().ToString("N")[..8];

    public int Created => messages.Count;

    public int Acked => messages.Values.Count(m => m.IsAcked);

    public IEnumerable<SentMessage> Messages => messages.Values;

    public SentMessage Create(Guid conversationId, int sender, long number)
    {
        var message = new SentMessage($"{RunTag}-{sender}-{number}", conversationId, sender);
        messages[message.ClientMessageId] = message;
        return message;
    }

    public SentMessage? Find(string clientMessageId) => messages.GetValueOrDefault(clientMessageId);
}
