using System.Reflection;
using System.Runtime.InteropServices;

namespace Messenger.Testing.Internal;

/// <summary>
/// The few librdkafka entry points that run its built-in mock Kafka cluster (rdkafka_mock.h).
/// They are bound to the very librdkafka file Confluent.Kafka loaded: the package's default
/// build needs libsasl2.so.3, which Debian lacks, so Confluent falls back to another bundled
/// build, and a plain <c>DllImport("librdkafka")</c> would fail or load a second copy.
/// </summary>
internal static partial class Librdkafka
{
    private const string Library = "messenger-librdkafka";
    private const int ProducerType = 0;

    private static readonly Lazy<string> LoadedPath = new(Initialize);

    /// <summary>Puts the resolver in place; call before any entry point below.</summary>
    public static void EnsureLoaded() => _ = LoadedPath.Value;

    private static string Initialize()
    {
        var path = FindLoadedLibrary();
        NativeLibrary.SetDllImportResolver(typeof(Librdkafka).Assembly, Resolve);
        return path;
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Library ? NativeLibrary.Load(LoadedPath.Value) : IntPtr.Zero;

    private static string FindLoadedLibrary()
    {
        // Reading the version makes Confluent.Kafka load its native library.
        _ = Confluent.Kafka.Library.VersionString;
        var path = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6)
            .Select(fields => string.Join(' ', fields[5..]))
            .FirstOrDefault(file => Path.GetFileName(file).Contains("librdkafka", StringComparison.Ordinal));
        return path ?? throw new InvalidOperationException(
            "Confluent.Kafka reported its version but no librdkafka file is mapped into the process; " +
            "is the librdkafka.redist package referenced?");
    }

    public static IntPtr NewMockHandle()
    {
        var config = rd_kafka_conf_new();
        Span<byte> error = stackalloc byte[512];
        // The handle only hosts the cluster and never connects anywhere, so its notice about having
        // no bootstrap.servers is noise in every test's output; warnings and errors still show.
        if (rd_kafka_conf_set(config, "log_level", "4", ref MemoryMarshal.GetReference(error), (nuint)error.Length) != 0)
        {
            rd_kafka_conf_destroy(config);
            throw new InvalidOperationException($"rd_kafka_conf_set(log_level) failed: {ReadCString(error)}");
        }
        var handle = rd_kafka_new(ProducerType, config, ref MemoryMarshal.GetReference(error), (nuint)error.Length);
        if (handle == IntPtr.Zero)
        {
            // On failure the configuration still belongs to the caller.
            rd_kafka_conf_destroy(config);
            throw new InvalidOperationException($"rd_kafka_new failed: {ReadCString(error)}");
        }
        return handle;
    }

    public static string ErrorText(int error) => Marshal.PtrToStringUTF8(rd_kafka_err2str(error)) ?? $"error {error}";

    private static string ReadCString(ReadOnlySpan<byte> buffer)
    {
        var end = buffer.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? buffer : buffer[..end]);
    }

    [LibraryImport(Library)]
    private static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(Library)]
    private static partial void rd_kafka_conf_destroy(IntPtr conf);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, ref byte errstr, nuint errstrSize);

    [LibraryImport(Library)]
    private static partial IntPtr rd_kafka_new(int type, IntPtr conf, ref byte errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(Library)]
    private static partial IntPtr rd_kafka_err2str(int err);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);
}
