using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Messenger.Bench.Infrastructure;

/// <summary>What the run happened on, read at run time (cores, CPU model, memory, OS, runtimes, load).</summary>
internal sealed record Machine(
    int Cores, string CpuModel, double MemoryGiB, string Os, string Kernel, string DotNet, string? Node, string? Postgres, string? Redis,
    int OpenFilesLimit, double CpuYardstick)
{
    public static Machine Read() => new(
        Environment.ProcessorCount,
        ReadCpuModel(),
        ReadMemoryGiB(),
        ReadOs(),
        File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        VersionOf("node", "--version"),
        PostgresVersion(),
        RedisVersion(),
        OpenFiles(),
        MeasureCpuYardstick());

    public string Describe() =>
        $"{Cores} cores ({CpuModel}), {MemoryGiB:0.#} GiB RAM, {Os} (kernel {Kernel}), {DotNet}" +
        (Postgres is null ? "" : $", PostgreSQL {Postgres}") + (Redis is null ? "" : $", Redis {Redis}") + (Node is null ? "" : $", Node.js {Node}") +
        $"; CPU yardstick {CpuYardstick:0.#} PBKDF2 hashes/s";

    /// <summary>
    /// How fast this machine's cores are right now: PBKDF2-HMAC-SHA512 with 100,000 iterations (what
    /// Auth's password hasher does) on every core for about two seconds, in hashes per second. The same
    /// machine type has measured 21 and 54 on different days: it tells whether the cores were slower
    /// than usual, though WebSocket and database work moved much less than it between those days.
    /// </summary>
    private static double MeasureCpuYardstick()
    {
        var salt = new byte[16];
        var count = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, Environment.ProcessorCount, _ =>
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(2))
            {
                System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2("correct horse battery staple", salt, 100_000, System.Security.Cryptography.HashAlgorithmName.SHA512, 32);
                Interlocked.Increment(ref count);
            }
        });
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>1-, 5- and 15-minute load averages from /proc/loadavg.</summary>
    public static (double One, double Five, double Fifteen) LoadAverage()
    {
        var parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return (Parse(parts[0]), Parse(parts[1]), Parse(parts[2]));

        static double Parse(string value) => double.Parse(value, CultureInfo.InvariantCulture);
    }

    private static string ReadCpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    private static double ReadMemoryGiB()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
    }

    private static string ReadOs()
    {
        var line = File.Exists("/etc/os-release") ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)) : null;
        return line?.Split('=', 2)[1].Trim('"') ?? RuntimeInformation.OSDescription;
    }

    private static int OpenFiles()
    {
        var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is { Length: > 4 } && int.TryParse(parts[3], CultureInfo.InvariantCulture, out var soft) ? soft : -1;
    }

    private static string? PostgresVersion()
    {
        var bin = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Order().LastOrDefault() : null;
        var text = bin is null ? null : VersionOf(Path.Combine(bin, "bin", "postgres"), "--version");
        return text is null ? null : System.Text.RegularExpressions.Regex.Match(text, @"\d+\.\d+").Value;
    }

    private static string? RedisVersion()
    {
        var text = VersionOf("redis-server", "--version");
        return text is null ? null : System.Text.RegularExpressions.Regex.Match(text, @"v=([0-9.]+)").Groups[1].Value;
    }

    internal static string? VersionOf(string program, string argument)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, argument) { RedirectStandardOutput = true, RedirectStandardError = true });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit(10_000);
            return process.ExitCode == 0 && output.Length > 0 ? output.Split('\n')[0] : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
