using System.Collections.Concurrent;
using System.Globalization;
using CsCheck;

namespace Messenger.SecurityTests.Fuzzing;

/// <summary>
/// How a fuzz run is numbered and replayed. Case <c>i</c> is generated from its own PCG stream of a
/// fixed seed, so any case is reproducible on its own: a failure names its surface, seed and index,
/// and <c>MESSENGER_FUZZ_REPLAY=surface:seed:index</c> runs just that case again (with its request
/// and answer printed). <c>MESSENGER_FUZZ_SEED</c> picks another seed for a whole run.
/// </summary>
public static class FuzzRun
{
    public const ulong DefaultSeed = 20261125;

    public static ulong Seed =>
        ulong.TryParse(Environment.GetEnvironmentVariable("MESSENGER_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var seed) ? seed : DefaultSeed;

    /// <summary>The PCG of case <paramref name="index"/>: its own stream, so cases do not depend on each other or on the order they run in.</summary>
    public static PCG For(ulong seed, int index) => new((uint)index, seed);

    /// <summary>The single case to replay on <paramref name="surface"/>, if one was asked for.</summary>
    public static (ulong Seed, int Index)? Replay(string surface)
    {
        var parts = Environment.GetEnvironmentVariable("MESSENGER_FUZZ_REPLAY")?.Split(':');
        return parts is [var s, var seed, var index] && s == surface
            ? (ulong.Parse(seed, CultureInfo.InvariantCulture), int.Parse(index, CultureInfo.InvariantCulture))
            : null;
    }

    public static string Name(string surface, ulong seed, int index) => $"{surface}:{seed}:{index}";

    /// <summary>Runs <paramref name="count"/> cases on <paramref name="workers"/> concurrent workers, each taking the next index.</summary>
    public static async Task RunAsync(int count, int workers, Func<int, int, Task> run)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < count)
            {
                await run(worker, index);
            }
        })));
    }
}

/// <summary>Failures of a fuzz run, kept few and readable.</summary>
public sealed class FuzzFailures
{
    private readonly ConcurrentQueue<string> failures = new();
    private readonly ConcurrentDictionary<string, int> kinds = new();
    private int count;

    public int Count => count;

    /// <summary>Keeps the first three examples of each kind of failure, so a frequent harmless one cannot hide a rare real one.</summary>
    public void Add(string failure, string kind)
    {
        Interlocked.Increment(ref count);
        if (kinds.AddOrUpdate(kind, 1, (_, n) => n + 1) <= 3 && failures.Count < 60)
        {
            failures.Enqueue($"({kind}) {failure}");
        }
    }

    public override string ToString() =>
        $"{count} failing cases of {kinds.Count} kinds ({string.Join(", ", kinds.Select(k => $"{k.Key}×{k.Value}"))}); examples:{Environment.NewLine}{string.Join(Environment.NewLine + Environment.NewLine, failures)}";
}
