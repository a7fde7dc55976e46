using Microsoft.Extensions.Options;

namespace Messenger.EventBus;

internal sealed class EventBusOptionsValidator : IValidateOptions<EventBusOptions>
{
    public ValidateOptionsResult Validate(string? name, EventBusOptions options)
    {
        var failures = new List<string>();
        var transport = options.Transport?.Trim().ToLowerInvariant();
        if (transport is not (EventBusTransports.Redis or EventBusTransports.Kafka))
        {
            failures.Add($"EventBus:Transport is '{options.Transport}'; set it to '{EventBusTransports.Redis}' (Redis Streams, " +
                $"the single-node default) or '{EventBusTransports.Kafka}' (with EventBus:Kafka:BootstrapServers).");
        }

        if (transport == EventBusTransports.Kafka && string.IsNullOrWhiteSpace(options.Kafka.BootstrapServers))
        {
            failures.Add("EventBus:Transport is 'kafka' but EventBus:Kafka:BootstrapServers is not set; set it to a host:port list such as 127.0.0.1:9092.");
        }

        Positive(failures, options.Kafka.SessionTimeoutMs, "EventBus:Kafka:SessionTimeoutMs");
        Positive(failures, options.Kafka.MessageTimeoutMs, "EventBus:Kafka:MessageTimeoutMs");
        Positive(failures, options.Kafka.AutoCommitIntervalMs, "EventBus:Kafka:AutoCommitIntervalMs");
        if (options.Kafka.LingerMs < 0)
        {
            failures.Add("EventBus:Kafka:LingerMs must not be negative.");
        }

        Positive(failures, options.Kafka.BatchSize, "EventBus:Kafka:BatchSize");
        if (options.Redis.MaxLength is { } maxLength)
        {
            Positive(failures, maxLength, "EventBus:Redis:MaxLength");
        }

        Positive(failures, options.Redis.TrimInterval, "EventBus:Redis:TrimInterval");
        Positive(failures, options.Redis.BatchSize, "EventBus:Redis:BatchSize");
        Positive(failures, options.Redis.PollInterval, "EventBus:Redis:PollInterval");
        Positive(failures, options.Redis.ClaimIdleTime, "EventBus:Redis:ClaimIdleTime");
        Positive(failures, options.Redis.ClaimInterval, "EventBus:Redis:ClaimInterval");
        Positive(failures, options.Consumer.MaxAttempts, "EventBus:Consumer:MaxAttempts");
        Positive(failures, options.Consumer.InitialRetryDelay, "EventBus:Consumer:InitialRetryDelay");
        Positive(failures, options.Consumer.MaxRetryDelay, "EventBus:Consumer:MaxRetryDelay");
        Positive(failures, options.Consumer.RedeliveryDelay, "EventBus:Consumer:RedeliveryDelay");
        Positive(failures, options.Consumer.ProcessedEventsRetention, "EventBus:Consumer:ProcessedEventsRetention");
        Positive(failures, options.Outbox.BatchSize, "EventBus:Outbox:BatchSize");
        Positive(failures, options.Outbox.PollInterval, "EventBus:Outbox:PollInterval");
        Positive(failures, options.Outbox.MaxBackoff, "EventBus:Outbox:MaxBackoff");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, long value, string key)
    {
        if (value <= 0)
        {
            failures.Add($"{key} must be greater than zero (it is {value}).");
        }
    }

    private static void Positive(List<string> failures, TimeSpan value, string key)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{key} must be a positive time span such as 00:00:01 (it is {value}).");
        }
    }
}
