using ScottPlot;

namespace Messenger.Bench.Reporting;

/// <summary>PNG charts with ScottPlot: lines of (x, y) series, one colour per series, a legend.</summary>
internal static class Charts
{
    public sealed record Series(string Name, double[] X, double[] Y);

    public static void Lines(Report report, string file, string title, string xLabel, string yLabel, IEnumerable<Series> series, bool logY = false, (double X, string Label)? verticalLine = null, (double Y, string Label)? horizontalLine = null)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        foreach (var s in series.Where(s => s.X.Length > 0))
        {
            var ys = logY ? s.Y.Select(v => Math.Log10(Math.Max(v, 0.01))).ToArray() : s.Y;
            var scatter = plot.Add.Scatter(s.X, ys);
            scatter.LegendText = s.Name;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 6;
        }

        if (logY)
        {
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => Math.Pow(10, v).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) };
            plot.Axes.Left.TickGenerator = ticks;
        }

        if (horizontalLine is { } h)
        {
            var line = plot.Add.HorizontalLine(logY ? Math.Log10(h.Y) : h.Y);
            line.LegendText = h.Label;
            line.LinePattern = LinePattern.Dashed;
        }

        if (verticalLine is { } v)
        {
            var line = plot.Add.VerticalLine(v.X);
            line.LegendText = v.Label;
            line.LinePattern = LinePattern.Dotted;
        }

        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(report.PathOf(file), 900, 520);
    }

    public static void Bars(Report report, string file, string title, string yLabel, IReadOnlyList<(string Label, double Value)> bars)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.YLabel(yLabel);
        var values = bars.Select((b, i) => new Bar { Position = i, Value = b.Value, FillColor = Colors.Category10[i % 10] }).ToArray();
        plot.Add.Bars(values);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, bars.Count).Select(i => (double)i)], [.. bars.Select(b => b.Label)]);
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(report.PathOf(file), 900, 520);
    }
}
