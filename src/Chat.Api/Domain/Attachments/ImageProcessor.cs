using Chat.Api.Extensions;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace Chat.Api.Domain.Attachments;

/// <summary>An uploaded picture as it is stored: re-encoded without metadata, upright, within the size cap, with a thumbnail.</summary>
public sealed record ProcessedImage(string Path, string MimeType, int Width, int Height, string ThumbnailPath, string ThumbnailMimeType);

/// <summary>
/// Decodes uploaded pictures with SkiaSharp and writes them again from their pixels alone, so
/// nothing of the original file survives: no EXIF (GPS position, camera serial), no XMP, no
/// comments, no trailing payload. The EXIF orientation is applied to the pixels before it is
/// dropped. The header's dimensions are checked before any pixel is decoded, so a small file that
/// claims a gigantic canvas (a decompression bomb) is kept as a plain file instead. Animated GIFs
/// keep their bytes (re-encoding would freeze them; GIF carries no EXIF) and get a still thumbnail.
/// </summary>
public sealed partial class ImageProcessor(IOptions<AttachmentOptions> options, ILogger<ImageProcessor> logger) : IDisposable
{
    private const int JpegQuality = 85;
    private const int ThumbnailQuality = 80;

    // Decoding takes CPU and up to 4 bytes per pixel; a few at a time keeps a burst of uploads from exhausting memory.
    private readonly SemaphoreSlim decoders = new(Math.Max(1, Environment.ProcessorCount / 2));
    private readonly AttachmentOptions settings = options.Value;

    /// <summary>The stored form of an image, or null when the bytes are not an image this service re-encodes (then it is a plain file).</summary>
    public async Task<ProcessedImage?> ProcessAsync(string sourcePath, string sniffedType, CancellationToken cancellationToken)
    {
        if (sniffedType is not ("image/jpeg" or "image/png" or "image/gif" or "image/webp" or "image/bmp"))
        {
            return null;
        }

        await decoders.WaitAsync(cancellationToken);
        try
        {
            return Process(sourcePath, sniffedType);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A picture the decoder chokes on is still a file the user may share.
            LogNotAnImage(logger, sniffedType, ex);
            return null;
        }
        finally
        {
            decoders.Release();
        }
    }

    private ProcessedImage? Process(string sourcePath, string sniffedType)
    {
        using var codec = SKCodec.Create(sourcePath, out var opened);
        if (codec is null || opened != SKCodecResult.Success || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            return null;
        }

        var decodeSize = DecodeSize(codec);
        if (decodeSize is not { } size)
        {
            return null;
        }

        using var pixels = new SKBitmap(new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888,
            codec.Info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Premul));
        var decoded = codec.GetPixels(pixels.Info, pixels.GetPixels());
        if (decoded is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            return null;
        }

        var opaque = codec.Info.AlphaType == SKAlphaType.Opaque;
        var origin = codec.EncodedOrigin;
        var animated = sniffedType == "image/gif" && codec.FrameCount > 1;
        var (width, height) = Fit(Oriented(size, origin), settings.MaxImageDimension);
        var directory = Path.GetDirectoryName(sourcePath)!;
        var stem = Path.GetFileName(sourcePath);

        string path, mimeType;
        if (animated)
        {
            (path, mimeType, width, height) = (sourcePath, sniffedType, codec.Info.Width, codec.Info.Height);
        }
        else
        {
            using var upright = Render(pixels, origin, width, height, opaque);
            (mimeType, var format, var quality) = sniffedType switch
            {
                "image/jpeg" => ("image/jpeg", SKEncodedImageFormat.Jpeg, JpegQuality),
                "image/webp" => ("image/webp", SKEncodedImageFormat.Webp, JpegQuality),
                _ => ("image/png", SKEncodedImageFormat.Png, 100),
            };
            path = Path.Combine(directory, stem + ".image");
            Encode(upright, path, format, quality);
        }

        var (thumbWidth, thumbHeight) = Fit(Oriented(size, origin), settings.ThumbnailSize);
        using var thumbnail = Render(pixels, origin, thumbWidth, thumbHeight, opaque);
        var thumbnailPath = Path.Combine(directory, stem + ".thumbnail");
        Encode(thumbnail, thumbnailPath, opaque ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, ThumbnailQuality);
        return new ProcessedImage(path, mimeType, width, height, thumbnailPath, opaque ? "image/jpeg" : "image/png");
    }

    /// <summary>
    /// The size to decode at: the full size when within the pixel budget, else the largest size the
    /// codec can scale to natively (JPEG by eighths) within it; null when there is none.
    /// </summary>
    private SKSizeI? DecodeSize(SKCodec codec)
    {
        var info = codec.Info;
        var pixels = (long)info.Width * info.Height;
        if (pixels <= settings.MaxDecodedPixels)
        {
            return info.Size;
        }

        var scaled = codec.GetScaledDimensions((float)Math.Sqrt((double)settings.MaxDecodedPixels / pixels));
        return scaled.Width > 0 && scaled.Height > 0 && (long)scaled.Width * scaled.Height <= settings.MaxDecodedPixels ? scaled : null;
    }

    private static SKSizeI Oriented(SKSizeI size, SKEncodedOrigin origin) =>
        origin >= SKEncodedOrigin.LeftTop ? new SKSizeI(size.Height, size.Width) : size;

    private static (int Width, int Height) Fit(SKSizeI size, int maxSide)
    {
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(size.Width, size.Height));
        return (Math.Max(1, (int)Math.Round(size.Width * scale)), Math.Max(1, (int)Math.Round(size.Height * scale)));
    }

    /// <summary>Draws the decoded pixels upright (the EXIF orientation applied) at the given size.</summary>
    private static SKBitmap Render(SKBitmap source, SKEncodedOrigin origin, int width, int height, bool opaque)
    {
        float w = source.Width, h = source.Height;
        // Maps a source pixel to its place in the upright picture (x' = sx·x + kx·y + tx, y' = ky·x + sy·y + ty).
        var orient = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
            _ => SKMatrix.Identity,
        };
        var upright = Oriented(new SKSizeI(source.Width, source.Height), origin);
        var scale = SKMatrix.CreateScale((float)width / upright.Width, (float)height / upright.Height);

        var target = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Premul));
        using var canvas = new SKCanvas(target);
        canvas.Clear(opaque ? SKColors.White : SKColors.Transparent);
        canvas.SetMatrix(scale.PreConcat(orient));
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        canvas.Flush();
        return target;
    }

    public void Dispose() => decoders.Dispose();

    private static void Encode(SKBitmap bitmap, string path, SKEncodedImageFormat format, int quality)
    {
        using var file = File.Create(path);
        using var pixmap = bitmap.PeekPixels();
        if (!pixmap.Encode(file, format, quality))
        {
            throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width}x{bitmap.Height} {format}.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "An upload sniffed as {MimeType} could not be decoded; it is kept as a plain file")]
    private static partial void LogNotAnImage(ILogger logger, string mimeType, Exception exception);
}
