using Microsoft.Extensions.Configuration;

namespace Messenger.ServiceDefaults;

public static class ConfigurationExtensions
{
    /// <summary>Reads a connection string or fails start-up with a message saying what to set.</summary>
    public static string GetRequiredConnectionString(this IConfiguration configuration, string name, string example)
    {
        var value = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"The connection string '{name}' is not set. Set ConnectionStrings:{name} (environment variable " +
                $"ConnectionStrings__{name}) to {example}. The app host and the test harness set it for you.");
        }

        return value;
    }
}
