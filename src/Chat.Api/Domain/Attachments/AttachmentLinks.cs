using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Chat.Api.Data;
using Chat.Api.Extensions;
using Microsoft.Extensions.Options;

namespace Chat.Api.Domain.Attachments;

/// <summary>Where a user downloads an attachment and its thumbnail, until <see cref="ExpiresAt"/>.</summary>
public sealed record AttachmentLink(Guid AttachmentId, string Url, string? ThumbnailUrl, DateTimeOffset ExpiresAt);

/// <summary>
/// Signed download links (docs/decisions/0061): <c>/chat/attachments/{id}?u={user}&amp;e={expiry}&amp;s={HMAC}</c>.
/// An <c>&lt;img src&gt;</c> cannot send an Authorization header, and an access token in a URL
/// would outlive the page in histories and logs and open every route; a link opens one
/// attachment, for one user, for minutes. The download still checks that this user may read it
/// now. Expiries are rounded up to five minutes so the same link repeats and browsers cache it.
/// </summary>
public sealed class AttachmentLinks
{
    private static readonly TimeSpan Rounding = TimeSpan.FromMinutes(5);

    private readonly byte[] key;
    private readonly TimeSpan lifetime;
    private readonly TimeProvider time;

    public AttachmentLinks(IOptions<AttachmentOptions> options, IHostEnvironment environment, TimeProvider time)
    {
        key = SigningKey(options.Value, environment);
        lifetime = options.Value.LinkLifetime;
        this.time = time;
    }

    /// <summary>The configured key, or the marked development key in Development; start-up validation refuses anything else.</summary>
    public static byte[] SigningKey(AttachmentOptions options, IHostEnvironment environment)
    {
        var configured = options.SigningKey;
        if (string.IsNullOrWhiteSpace(configured) && environment.IsDevelopment())
        {
            configured = AttachmentOptions.DevelopmentSigningKey;
        }

        var bytes = new byte[64];
        return Convert.TryFromBase64String(configured ?? "", bytes, out var length) && length >= 32 ? bytes[..length] : [];
    }

    public AttachmentLink For(AttachmentRow attachment, Guid userId)
    {
        var ticks = (time.GetUtcNow() + lifetime).UtcTicks;
        var expiresAt = new DateTimeOffset(ticks + (Rounding.Ticks - (ticks % Rounding.Ticks)), TimeSpan.Zero);
        var expiry = expiresAt.ToUnixTimeSeconds();
        var query = $"?u={userId:N}&e={expiry}&s={Sign(attachment.Id, userId, expiry)}";
        var path = $"/chat/attachments/{attachment.Id}";
        return new AttachmentLink(attachment.Id, path + query, attachment.ThumbnailKey is null ? null : path + "/thumbnail" + query, expiresAt);
    }

    /// <summary>The user a link was issued to, when its signature is right and it has not expired.</summary>
    public bool TryVerify(Guid attachmentId, string? user, string? expiry, string? signature, out Guid userId)
    {
        userId = default;
        if (!Guid.TryParseExact(user, "N", out var parsedUser)
            || !long.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedExpiry)
            || signature is null
            || parsedExpiry < time.GetUtcNow().ToUnixTimeSeconds())
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(attachmentId, parsedUser, parsedExpiry));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)))
        {
            return false;
        }

        userId = parsedUser;
        return true;
    }

    private string Sign(Guid attachmentId, Guid userId, long expiry)
    {
        var mac = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{attachmentId:N}.{userId:N}.{expiry}"));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
