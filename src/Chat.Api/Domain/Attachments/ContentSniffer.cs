using System.Text;
using System.Text.Unicode;

namespace Chat.Api.Domain.Attachments;

/// <summary>
/// Names a file's type from its first bytes (magic numbers), never from its name or the client's
/// word. What is not recognised is <c>application/octet-stream</c>; text is only ever
/// <c>text/plain</c>, so nothing uploaded is served as HTML or script.
/// </summary>
public static class ContentSniffer
{
    /// <summary>How many leading bytes <see cref="Sniff"/> looks at.</summary>
    public const int HeadLength = 4096;

    public const string OctetStream = "application/octet-stream";
    public const string PlainText = "text/plain";

    private static readonly (string MimeType, string[] Extensions)[] Known =
    [
        ("image/jpeg", [".jpg", ".jpeg", ".jfif"]),
        ("image/png", [".png"]),
        ("image/gif", [".gif"]),
        ("image/webp", [".webp"]),
        ("image/bmp", [".bmp"]),
        ("image/heic", [".heic", ".heif"]),
        ("application/pdf", [".pdf"]),
        ("application/zip", [".zip"]),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", [".docx"]),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", [".xlsx"]),
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation", [".pptx"]),
        ("application/vnd.oasis.opendocument.text", [".odt"]),
        ("application/vnd.oasis.opendocument.spreadsheet", [".ods"]),
        ("application/vnd.oasis.opendocument.presentation", [".odp"]),
        ("application/epub+zip", [".epub"]),
        ("application/gzip", [".gz", ".tgz"]),
        ("application/x-7z-compressed", [".7z"]),
        ("application/vnd.rar", [".rar"]),
        ("audio/mpeg", [".mp3"]),
        ("audio/ogg", [".ogg", ".oga", ".opus"]),
        ("audio/flac", [".flac"]),
        ("audio/wav", [".wav"]),
        ("video/mp4", [".mp4", ".m4v", ".m4a", ".mov"]),
        ("video/webm", [".webm", ".mkv"]),
        (PlainText, [".txt", ".md", ".csv", ".log", ".json", ".xml", ".yaml", ".yml"]),
    ];

    public static string Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return "image/gif";
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8))
        {
            var form = head[8..12];
            return form.SequenceEqual("WEBP"u8) ? "image/webp" : form.SequenceEqual("WAVE"u8) ? "audio/wav" : OctetStream;
        }

        if (head.Length >= 26 && head.StartsWith("BM"u8) && head[6] == 0 && head[7] == 0 && head[8] == 0 && head[9] == 0)
        {
            return "image/bmp";
        }

        if (head.StartsWith("%PDF-"u8))
        {
            return "application/pdf";
        }

        if (head.StartsWith("PK\u0003\u0004"u8))
        {
            return Zip(head);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
        {
            return "application/gzip";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C]))
        {
            return "application/x-7z-compressed";
        }

        if (head.StartsWith("Rar!\u001A\u0007"u8))
        {
            return "application/vnd.rar";
        }

        if (head.StartsWith("OggS"u8))
        {
            return "audio/ogg";
        }

        if (head.StartsWith("fLaC"u8))
        {
            return "audio/flac";
        }

        if (head.StartsWith("ID3"u8) || (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE6) == 0xE2))
        {
            return "audio/mpeg";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]))
        {
            return "video/webm";
        }

        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = head[8..12];
            return brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("mif1"u8) ? "image/heic" : "video/mp4";
        }

        return LooksLikeText(head) ? PlainText : OctetStream;
    }

    /// <summary>Documents that are ZIP archives say what they are in their first entries.</summary>
    private static string Zip(ReadOnlySpan<byte> head)
    {
        // OpenDocument and EPUB store an uncompressed "mimetype" entry first.
        if (head.Length > 38 && head[30..38].SequenceEqual("mimetype"u8))
        {
            var rest = head[38..];
            foreach (var type in (string[])["application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
                "application/vnd.oasis.opendocument.presentation", "application/epub+zip"])
            {
                if (rest.StartsWith(Encoding.ASCII.GetBytes(type)))
                {
                    return type;
                }
            }
        }

        if (head.IndexOf("[Content_Types].xml"u8) >= 0 || head.IndexOf("_rels/.rels"u8) >= 0)
        {
            if (head.IndexOf("word/"u8) >= 0)
            {
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
            }

            if (head.IndexOf("xl/"u8) >= 0)
            {
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            }

            if (head.IndexOf("ppt/"u8) >= 0)
            {
                return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
            }
        }

        return "application/zip";
    }

    /// <summary>UTF-8 (a character cut at the end of the sample is fine) without NULs and with few control characters.</summary>
    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty || head.IndexOf((byte)0) >= 0)
        {
            return false;
        }

        var controls = 0;
        foreach (var b in head)
        {
            if (b < 0x20 && b is not (byte)'\n' and not (byte)'\r' and not (byte)'\t' and not 0x0C and not 0x1B)
            {
                controls++;
            }
        }

        if (controls * 100 > head.Length)
        {
            return false;
        }

        // Allow a multi-byte character cut by the end of the sample.
        for (var cut = 0; cut < 4 && cut < head.Length; cut++)
        {
            if (Utf8.IsValid(head[..^cut]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The file name with an extension that fits <paramref name="mimeType"/>: a lying extension is replaced.</summary>
    public static string FitExtension(string name, string mimeType)
    {
        var known = Array.Find(Known, k => k.MimeType == mimeType);
        if (known.Extensions is null || mimeType == PlainText)
        {
            return name;
        }

        var extension = Path.GetExtension(name);
        if (known.Extensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
        {
            return name;
        }

        var stem = extension.Length > 0 ? name[..^extension.Length] : name;
        var fitted = stem + known.Extensions[0];
        return fitted.Length <= 255 ? fitted : stem[..(255 - known.Extensions[0].Length)] + known.Extensions[0];
    }
}
