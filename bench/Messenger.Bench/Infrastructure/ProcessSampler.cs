using System.Globalization;

namespace Messenger.Bench.Infrastructure;

/// <summary>
/// CPU and memory of the processes under test, read from /proc once a second: CPU from utime+stime
/// of the process and its children (PostgreSQL runs one process per connection), memory as RSS
/// (for a process tree, PSS summed, so shared buffers count once).
/// </summary>
internal sealed class ProcessSampler : IAsyncDisposable
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly List<Watched> watched = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private readonly Lock gate = new();

    public ProcessSampler() => loop = Task.Run(LoopAsync);

    /// <summary>Watches a process (and, with <paramref name="tree"/>, every descendant of it).</summary>
    public void Watch(string name, int pid, bool tree = false)
    {
        lock (gate)
        {
            watched.Add(new Watched(name, pid, tree));
        }
    }

    public void Forget(string name)
    {
        lock (gate)
        {
            watched.RemoveAll(w => w.Name == name);
        }
    }

    public IReadOnlyList<string> Names
    {
        get
        {
            lock (gate)
            {
                return [.. watched.Select(w => w.Name)];
            }
        }
    }

    /// <summary>Starts a window; <see cref="Window.End"/> gives CPU use and peak memory per process over it.</summary>
    public Window Begin()
    {
        lock (gate)
        {
            var window = new Window(this, DateTime.UtcNow, watched.ToDictionary(w => w.Name, w => w.CpuTicks()));
            windows.Add(window);
            return window;
        }
    }

    private readonly List<Window> windows = [];

    /// <summary>Memory of one watched process now, in MiB.</summary>
    public double MemoryMiB(string name)
    {
        lock (gate)
        {
            return watched.First(w => w.Name == name).MemoryKiB() / 1024.0;
        }
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                lock (gate)
                {
                    foreach (var w in watched)
                    {
                        var memory = w.MemoryKiB();
                        foreach (var window in windows)
                        {
                            window.Observe(w.Name, memory);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    internal sealed class Window(ProcessSampler sampler, DateTime start, Dictionary<string, long> startTicks)
    {
        private readonly Dictionary<string, long> peakKiB = [];

        internal void Observe(string name, long kib) => peakKiB[name] = Math.Max(peakKiB.GetValueOrDefault(name), kib);

        /// <summary>CPU in % of one core and peak memory in MiB, per watched process, since <see cref="Begin"/>.</summary>
        public IReadOnlyList<ProcessUse> End()
        {
            lock (sampler.gate)
            {
                sampler.windows.Remove(this);
                var seconds = (DateTime.UtcNow - start).TotalSeconds;
                var result = new List<ProcessUse>();
                foreach (var w in sampler.watched)
                {
                    var memory = w.MemoryKiB();
                    Observe(w.Name, memory);
                    var ticks = w.CpuTicks() - startTicks.GetValueOrDefault(w.Name, w.CpuTicks());
                    result.Add(new ProcessUse(w.Name, Math.Max(0, ticks) / TicksPerSecond / seconds * 100, peakKiB[w.Name] / 1024.0, memory / 1024.0));
                }

                return result;
            }
        }
    }

    private sealed record Watched(string Name, int Pid, bool Tree)
    {
        private IEnumerable<int> Pids() => Tree ? Descendants(Pid).Prepend(Pid) : [Pid];

        public long CpuTicks() => Pids().Sum(ReadTicks);

        public long MemoryKiB() => Tree ? Pids().Sum(p => ReadKiB($"/proc/{p}/smaps_rollup", "Pss:")) : ReadKiB($"/proc/{Pid}/status", "VmRSS:");

        private static long ReadTicks(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                return 0;
            }
        }

        private static long ReadKiB(string path, string field)
        {
            try
            {
                foreach (var line in File.ReadLines(path))
                {
                    if (line.StartsWith(field, StringComparison.Ordinal))
                    {
                        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            return 0;
        }

        private static List<int> Descendants(int root)
        {
            var children = new Dictionary<int, List<int>>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid))
                {
                    continue;
                }

                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                    if (!children.TryGetValue(parent, out var list))
                    {
                        children[parent] = list = [];
                    }

                    list.Add(pid);
                }
                catch (IOException)
                {
                }
            }

            var result = new List<int>();
            var queue = new Queue<int>([root]);
            while (queue.TryDequeue(out var pid))
            {
                foreach (var child in children.GetValueOrDefault(pid) ?? [])
                {
                    result.Add(child);
                    queue.Enqueue(child);
                }
            }

            return result;
        }
    }
}

/// <param name="CpuPercent">Percent of one core (200 = both cores of a two-core machine).</param>
internal sealed record ProcessUse(string Name, double CpuPercent, double PeakMemoryMiB, double MemoryMiB);
