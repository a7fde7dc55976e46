using System.Globalization;

namespace Messenger.Bench.Reporting;

internal static class Format
{
    public static string N(double value) => double.IsNaN(value) ? "—" : value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Ms(double value) => double.IsNaN(value) ? "—" : value < 10 ? value.ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Pct(double value) => double.IsNaN(value) ? "—" : value.ToString("0", CultureInfo.InvariantCulture) + " %";

    public static string Mib(double value) => value.ToString("N0", CultureInfo.InvariantCulture) + " MiB";

    public static string Kib(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " KB";
}
