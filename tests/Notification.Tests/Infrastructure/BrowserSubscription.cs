using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Notification.Tests.Infrastructure;

/// <summary>
/// What a browser holds for one push subscription: its P-256 key pair and 16-byte auth secret. It
/// decrypts what the push service hands it, by RFC 8291 (Web Push message encryption) over RFC 8188
/// (the aes128gcm content coding), with the framework's own crypto.
/// </summary>
public sealed class BrowserSubscription : IDisposable
{
    private readonly ECDiffieHellman key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    public BrowserSubscription(string endpoint)
    {
        Endpoint = endpoint;
        var q = key.ExportParameters(false).Q;
        PublicKey = [0x04, .. q.X!, .. q.Y!];
        AuthSecret = RandomNumberGenerator.GetBytes(16);
    }

    public string Endpoint { get; }

    public byte[] PublicKey { get; }

    public byte[] AuthSecret { get; }

    /// <summary>The body of <c>POST /notifications/push-subscriptions</c>, as <c>PushSubscription.toJSON()</c> gives it.</summary>
    public object ToJson() => new
    {
        endpoint = Endpoint,
        expirationTime = (long?)null,
        keys = new { p256dh = Base64Url.EncodeToString(PublicKey), auth = Base64Url.EncodeToString(AuthSecret) },
    };

    /// <summary>Decrypts an aes128gcm push body; throws when it was not encrypted for this subscription.</summary>
    public string Decrypt(byte[] body)
    {
        // RFC 8188 header: salt (16) | record size (4) | key id length (1) | key id (the sender's public key).
        var salt = body[..16];
        var recordSize = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        var keyIdLength = body[20];
        if (keyIdLength != 65)
        {
            throw new CryptographicException($"The key id should be the server's 65-byte public key, not {keyIdLength} bytes.");
        }

        var serverPublic = body[21..86];
        var records = body[86..];
        if (records.Length > recordSize)
        {
            throw new CryptographicException("A push message is one record.");
        }

        using var server = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = serverPublic[1..33], Y = serverPublic[33..] },
        });
        var sharedSecret = key.DeriveRawSecretAgreement(server.PublicKey);

        // RFC 8291 section 3.4: the input keying material mixes in the auth secret and both public keys.
        var keyInfo = Concat(Encoding.ASCII.GetBytes("WebPush: info\0"), PublicKey, serverPublic);
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, 32, AuthSecret, keyInfo);
        var contentKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0"));
        var nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, Encoding.ASCII.GetBytes("Content-Encoding: nonce\0"));

        var ciphertext = records[..^16];
        var tag = records[^16..];
        var plaintext = new byte[ciphertext.Length];
        using (var aes = new AesGcm(contentKey, 16))
        {
            aes.Decrypt(nonce, ciphertext, tag, plaintext);
        }

        // The last record ends with the delimiter 0x02, then optional zero padding.
        var end = plaintext.Length - 1;
        while (end >= 0 && plaintext[end] == 0)
        {
            end--;
        }

        if (end < 0 || plaintext[end] != 0x02)
        {
            throw new CryptographicException("The record lacks the last-record delimiter.");
        }

        return Encoding.UTF8.GetString(plaintext, 0, end);
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    public void Dispose() => key.Dispose();
}
