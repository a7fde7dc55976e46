using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Messenger.Bench.Infrastructure;

/// <summary>
/// One process of the system under test (a service's Release build run with <c>dotnet &lt;dll&gt;</c>,
/// a relay, node), configured by environment variables, its output kept in a log file. Disposing it
/// sends SIGTERM and waits, as an orchestrator would.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;

    private ServiceProcess(string name, int port, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        Port = port;
        this.process = process;
        this.log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    public int Port { get; }

    public int Pid => process.Id;

    public string LogPath { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public static ServiceProcess Start(string name, string program, IEnumerable<string> arguments, int port, IReadOnlyDictionary<string, string> environment, string logDirectory, string? workingDirectory = null)
    {
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, name + ".log");
        var startInfo = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(arguments.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal) || a.EndsWith(".js", StringComparison.Ordinal))) ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Nothing of the generator's own environment (its GC or thread-pool settings) leaks into the system under test.
        foreach (var key in startInfo.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) && k != "DOTNET_ROOT").ToList())
        {
            startInfo.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(name, port, process, log, logPath);
    }

    /// <summary>Waits until GET <paramref name="path"/> answers 200 (or, with a null path, until the port accepts connections).</summary>
    public async Task WaitUntilReadyAsync(string? path = "/health/ready", TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} before it was ready. Its log ({LogPath}):\n{Tail()}");
            }

            try
            {
                if (path is null)
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, Port);
                    return;
                }

                using var response = await http.GetAsync(new Uri(BaseAddress, path));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} was not ready within the time allowed. Its log ({LogPath}):\n{Tail()}");
            }

            await Task.Delay(200);
        }
    }

    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return string.Join('\n', new StreamReader(stream).ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            _ = Kill(process.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
        await log.DisposeAsync();
    }

    /// <summary>kill -9: the process ends mid-work, as in a crash; nothing is flushed and its sockets are reset.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            _ = Kill(process.Id, 9);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>
    /// After this process ended: the same program, arguments and environment started again on the same
    /// port, as a supervisor would. The earlier log is kept beside the new one.
    /// </summary>
    public async Task<ServiceProcess> StartAgainAsync()
    {
        if (!process.HasExited)
        {
            throw new InvalidOperationException($"{Name} still runs (pid {Pid}).");
        }

        await log.FlushAsync();
        var logDirectory = Path.GetDirectoryName(LogPath)!;
        var earlier = Path.Combine(logDirectory, $"{Name}.{DateTime.UtcNow:HHmmss}.log");
        File.Move(LogPath, earlier, overwrite: true);
        var info = process.StartInfo;
        var environment = info.Environment.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value!);
        return Start(Name, info.FileName, [.. info.ArgumentList], Port, environment, logDirectory, info.WorkingDirectory);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
