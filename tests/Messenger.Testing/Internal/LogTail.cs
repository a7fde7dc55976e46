namespace Messenger.Testing.Internal;

/// <summary>Reads what a server logged, for error messages and for recognising known failures.</summary>
internal static class LogTail
{
    public static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>What the log gained after <paramref name="offset"/> (its length before a start attempt).</summary>
    public static string Since(string path, long offset)
    {
        try
        {
            if (!File.Exists(path))
            {
                return "";
            }
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"(log at {path} unreadable: {e.Message})";
        }
    }

    public static string Read(string path, int lines = 30)
    {
        if (!File.Exists(path))
        {
            return $"(no log at {path})";
        }
        var all = Since(path, 0).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all.TakeLast(lines));
    }
}
