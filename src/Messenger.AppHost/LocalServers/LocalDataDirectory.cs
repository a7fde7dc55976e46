namespace Messenger.AppHost.LocalServers;

/// <summary>Where the local PostgreSQL and Redis keep their files.</summary>
internal static class LocalDataDirectory
{
    public const string ConfigurationKey = "Messenger:DataDirectory";

    /// <summary>
    /// <c>Messenger:DataDirectory</c> when set (the end-to-end tests use a fresh temporary folder),
    /// otherwise <c>.data</c> at the repository root, which git ignores.
    /// </summary>
    public static string Resolve(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration[ConfigurationKey];
        var directory = string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(builder.AppHostDirectory, "..", "..", ".data")
            : configured;
        directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(directory);
        return directory;
    }
}
