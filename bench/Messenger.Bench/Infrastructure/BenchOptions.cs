using System.Globalization;

namespace Messenger.Bench.Infrastructure;

/// <summary>
/// <c>--name value</c> pairs after the scenario name. Every scenario reads its own knobs with a
/// default, so <c>bash scripts/bench.sh &lt;scenario&gt;</c> alone runs the full-size version and
/// <c>--quick</c> a moderate one.
/// </summary>
internal sealed class BenchOptions
{
    private readonly Dictionary<string, string> values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> read = new(StringComparer.OrdinalIgnoreCase);

    public BenchOptions(IEnumerable<string> arguments)
    {
        string? pending = null;
        foreach (var argument in arguments)
        {
            if (argument.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null)
                {
                    values[pending] = "true";
                }

                pending = argument[2..];
                var equals = pending.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    values[pending[..equals]] = pending[(equals + 1)..];
                    pending = null;
                }
            }
            else if (pending is not null)
            {
                values[pending] = argument;
                pending = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{argument}': options are --name value.");
            }
        }

        if (pending is not null)
        {
            values[pending] = "true";
        }
    }

    /// <summary>Moderate sizes that show a scenario works in a few minutes.</summary>
    public bool Quick => Flag("quick");

    public bool Has(string name) => values.ContainsKey(name);

    public bool Flag(string name, bool fallback = false)
    {
        read.Add(name);
        return values.TryGetValue(name, out var value) ? value is "true" or "1" or "yes" : fallback;
    }

    public int Int(string name, int full, int quick) => (int)Double(name, full, quick);

    public double Double(string name, double full, double quick)
    {
        read.Add(name);
        return values.TryGetValue(name, out var value) ? ParseNumber(value) : Quick ? quick : full;
    }

    public string Text(string name, string fallback)
    {
        read.Add(name);
        return values.TryGetValue(name, out var value) ? value : fallback;
    }

    public IReadOnlyList<int> Ints(string name, IReadOnlyList<int> full, IReadOnlyList<int> quick)
    {
        read.Add(name);
        return values.TryGetValue(name, out var value)
            ? [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => (int)ParseNumber(v))]
            : Quick ? quick : full;
    }

    /// <summary>Options given but never read by the scenario: most likely a typo.</summary>
    public IEnumerable<string> Unread => values.Keys.Where(k => !read.Contains(k) && k != "quick");

    public override string ToString() => string.Join(' ', values.Select(v => v.Value == "true" ? $"--{v.Key}" : $"--{v.Key} {v.Value}"));

    /// <summary>Accepts 10000, 10_000, 10k, 1.5M.</summary>
    private static double ParseNumber(string text)
    {
        text = text.Replace("_", "", StringComparison.Ordinal).Trim();
        var factor = 1.0;
        if (text.EndsWith('k') || text.EndsWith('K'))
        {
            factor = 1_000;
            text = text[..^1];
        }
        else if (text.EndsWith('M') || text.EndsWith('m'))
        {
            factor = 1_000_000;
            text = text[..^1];
        }

        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) * factor;
    }
}
