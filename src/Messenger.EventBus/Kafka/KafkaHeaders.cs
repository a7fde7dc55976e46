using System.Text;
using Confluent.Kafka;
using Messenger.EventBus.Transport;
using Microsoft.Extensions.Logging;

namespace Messenger.EventBus.Kafka;

internal static class KafkaHeaders
{
    /// <summary>
    /// librdkafka reports every failed connection attempt, many a second while a broker is down; it
    /// reconnects by itself, so those are debug noise next to the "all brokers down" warning.
    /// </summary>
    public static LogLevel Severity(Error error) =>
        error.IsFatal ? LogLevel.Error : error.Code == ErrorCode.Local_Transport ? LogLevel.Debug : LogLevel.Warning;

    public static Headers From(TransportMessage message)
    {
        var headers = new Headers
        {
            { MessageHeaders.EventId, Encoding.UTF8.GetBytes(message.EventId.ToString()) },
            { MessageHeaders.Type, Encoding.UTF8.GetBytes(message.Type) },
        };
        foreach (var (name, value) in message.Headers)
        {
            headers.Add(name, Encoding.UTF8.GetBytes(value));
        }

        return headers;
    }

    public static ReceivedMessage ToReceived(ConsumeResult<string, byte[]> result)
    {
        string? eventId = null;
        string? type = null;
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var header in result.Message.Headers ?? [])
        {
            var value = Encoding.UTF8.GetString(header.GetValueBytes() ?? []);
            switch (header.Key)
            {
                case MessageHeaders.EventId:
                    eventId = value;
                    break;
                case MessageHeaders.Type:
                    type = value;
                    break;
                default:
                    headers[header.Key] = value;
                    break;
            }
        }

        return new ReceivedMessage(
            result.Topic,
            result.Message.Key ?? "",
            eventId,
            type,
            result.Message.Value ?? [],
            headers,
            $"{result.Partition.Value}@{result.Offset.Value}");
    }
}
