using System.Buffers.Text;
using System.Security.Cryptography;

namespace Notification.Api.Push;

/// <summary>A VAPID key pair in the form push services and browsers use: base64url raw P-256 keys.</summary>
public sealed record VapidKeyPair(string PublicKey, string PrivateKey)
{
    public static VapidKeyPair Generate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        return new VapidKeyPair(
            Base64Url.EncodeToString([0x04, .. parameters.Q.X!, .. parameters.Q.Y!]),
            Base64Url.EncodeToString(parameters.D));
    }

    /// <summary>What is wrong with a configured pair, or null when it is a valid P-256 pair whose halves belong together.</summary>
    public static string? Check(string? publicKey, string? privateKey)
    {
        if (!PushKeys.TryReadPoint(publicKey, out var point))
        {
            return "PublicKey must be a base64url uncompressed P-256 point (65 bytes).";
        }

        if (privateKey is null || !Base64Url.IsValid(privateKey) || Base64Url.DecodeFromChars(privateKey) is not { Length: 32 } scalar)
        {
            return "PrivateKey must be a base64url P-256 private scalar (32 bytes).";
        }

        try
        {
            using var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = scalar, Q = point });
            return null;
        }
        catch (CryptographicException)
        {
            return "PublicKey and PrivateKey are not one P-256 key pair.";
        }
    }

    public static bool IsValidSubject(string subject) =>
        Uri.TryCreate(subject, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeMailto || uri.Scheme == Uri.UriSchemeHttps);
}

/// <summary>Reading the keys of a browser's push subscription (RFC 8291).</summary>
public static class PushKeys
{
    /// <summary>True when <paramref name="value"/> is base64url (padding allowed) of an uncompressed point on P-256.</summary>
    public static bool TryReadPoint(string? value, out ECPoint point)
    {
        point = default;
        if (!TryDecode(value, 65, out var bytes) || bytes[0] != 0x04)
        {
            return false;
        }

        point = new ECPoint { X = bytes[1..33], Y = bytes[33..] };
        try
        {
            // Importing checks that the point lies on the curve.
            using var key = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = point });
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="value"/> is base64url (padding allowed) of exactly <paramref name="length"/> bytes.</summary>
    public static bool TryDecode(string? value, int length, out byte[] bytes)
    {
        bytes = [];
        var trimmed = value?.TrimEnd('=');
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > 256 || !Base64Url.IsValid(trimmed))
        {
            return false;
        }

        bytes = Base64Url.DecodeFromChars(trimmed);
        return bytes.Length == length;
    }
}
