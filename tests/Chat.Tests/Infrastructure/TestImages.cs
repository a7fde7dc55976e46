using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace Chat.Tests.Infrastructure;

/// <summary>Pictures made for the tests: plain ones from SkiaSharp, and ones with metadata or lies written byte by byte.</summary>
public static class TestImages
{
    /// <summary>The latitude written into <see cref="JpegWithGpsAndOrientation"/>: 51° 28' 40.12" (as three rationals).</summary>
    public static readonly uint[] GpsLatitude = [51, 1, 28, 1, 4012, 100];

    /// <summary>A picture whose left half is red and right half blue, as PNG or JPEG.</summary>
    public static byte[] Picture(int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var red = new SKPaint { Color = SKColors.Red };
            using var blue = new SKPaint { Color = SKColors.Blue };
            canvas.DrawRect(0, 0, width / 2f, height, red);
            canvas.DrawRect(width / 2f, 0, width - (width / 2f), height, blue);
        }

        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>
    /// A JPEG (red left, blue right, 40×20 as stored) with an EXIF block right after SOI: orientation 6
    /// (viewers rotate it 90° clockwise: 20×40, red on top) and a GPS position.
    /// </summary>
    public static byte[] JpegWithGpsAndOrientation()
    {
        var jpeg = Picture(40, 20, SKEncodedImageFormat.Jpeg);
        var tiff = new List<byte>();
        void U16(int v) => tiff.AddRange([(byte)v, (byte)(v >> 8)]);
        void U32(uint v) => tiff.AddRange([(byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24)]);

        // TIFF header (little-endian), IFD0 at 8 with two entries, then the GPS IFD, then the rationals.
        tiff.AddRange("II"u8.ToArray());
        U16(42);
        U32(8);
        const int ifd0Entries = 2;
        const int gpsIfdOffset = 8 + 2 + (ifd0Entries * 12) + 4;
        U16(ifd0Entries);
        U16(0x0112); U16(3); U32(1); U16(6); U16(0);                // Orientation = 6
        U16(0x8825); U16(4); U32(1); U32(gpsIfdOffset);             // GPSInfo IFD pointer
        U32(0);
        const int gpsEntries = 2;
        const int rationalsOffset = gpsIfdOffset + 2 + (gpsEntries * 12) + 4;
        U16(gpsEntries);
        U16(0x0001); U16(2); U32(2); tiff.AddRange("N\0\0\0"u8.ToArray());   // GPSLatitudeRef = "N"
        U16(0x0002); U16(5); U32(3); U32(rationalsOffset);                    // GPSLatitude, three rationals
        U32(0);
        foreach (var value in GpsLatitude)
        {
            U32(value);
        }

        var payload = Encoding.ASCII.GetBytes("Exif\0\0").Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }

    /// <summary>The bytes of <see cref="GpsLatitude"/> as they sit in the file, to search for.</summary>
    public static byte[] GpsLatitudeBytes() => [.. GpsLatitude.SelectMany(v => BitConverter.GetBytes(v))];

    /// <summary>A valid PNG header claiming a canvas of <paramref name="width"/>×<paramref name="height"/> with hardly any data: a decompression bomb's shape.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;   // bit depth
        ihdr[9] = 2;   // RGB
        byte[] idat = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];
        return [.. (byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], .. Chunk("IHDR", ihdr), .. Chunk("IDAT", idat), .. Chunk("IEND", [])];
    }

    public static bool ContainsSequence(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>The pixel colour at a point of an encoded picture.</summary>
    public static (SKColor Color, int Width, int Height) Inspect(byte[] encoded, int x, int y)
    {
        using var bitmap = SKBitmap.Decode(encoded);
        return (bitmap.GetPixel(x, y), bitmap.Width, bitmap.Height);
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
