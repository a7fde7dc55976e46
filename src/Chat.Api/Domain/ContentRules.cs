namespace Chat.Api.Domain;

/// <summary>What a message may contain. Each check returns a sentence for the client, or null when fine.</summary>
public static class ContentRules
{
    public const int TextMaxLength = 4_000;
    public const int ClientMessageIdMaxLength = 100;
    public const int NameMaxLength = 255;
    public const int UrlMaxLength = 2_048;
    public const int MimeTypeMaxLength = 255;
    public const int EmojiMaxLength = 32;
    public const long MaxAttachmentSize = 4L * 1024 * 1024 * 1024;

    public static string? CheckClientMessageId(string? clientMessageId) =>
        string.IsNullOrWhiteSpace(clientMessageId) ? "A clientMessageId is required."
        : clientMessageId.Length > ClientMessageIdMaxLength ? $"The clientMessageId is longer than {ClientMessageIdMaxLength} characters."
        : clientMessageId.Contains('\0', StringComparison.Ordinal) ? NoNul
        : null;

    // PostgreSQL stores no U+0000 in text or jsonb: such a message could never be stored, so it is refused up front.
    private const string NoNul = "Text may not contain the NUL character (U+0000).";

    private static bool HasNul(MessageContent content) =>
        content.Text?.Contains('\0', StringComparison.Ordinal) == true || content.Name?.Contains('\0', StringComparison.Ordinal) == true
        || content.Url?.Contains('\0', StringComparison.Ordinal) == true || content.MimeType?.Contains('\0', StringComparison.Ordinal) == true
        || content.Kind?.Contains('\0', StringComparison.Ordinal) == true;

    public static string? Check(MessageContent? content)
    {
        if (content is null)
        {
            return "Content is required.";
        }

        if (HasNul(content))
        {
            return NoNul;
        }

        switch (content.Kind)
        {
            case "text":
                if (string.IsNullOrWhiteSpace(content.Text))
                {
                    return "A text message needs non-empty text.";
                }

                if (content.Text.Length > TextMaxLength)
                {
                    return $"The text is longer than {TextMaxLength} characters.";
                }

                return content.Url is null && content.AttachmentId is null && content.Name is null && content.Size is null && content.MimeType is null
                    && content.Width is null && content.Height is null
                    ? null
                    : "A text message carries only text.";
            case "image":
            case "file":
                return CheckAttachment(content);
            default:
                return "Content kind must be 'text', 'image' or 'file'.";
        }
    }

    private static string? CheckAttachment(MessageContent content)
    {
        if (content.Url is null == content.AttachmentId is null)
        {
            return "An attachment needs exactly one of url or attachmentId.";
        }

        if (content.Url is not null
            && (content.Url.Length > UrlMaxLength
                || !Uri.TryCreate(content.Url, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            return "The url must be an absolute http or https URL of at most 2048 characters.";
        }

        if (content.AttachmentId is not null)
        {
            // The server fills in the rest from the attachment's record.
            return !Guid.TryParse(content.AttachmentId, out _) ? "The attachmentId is the id POST /chat/attachments answered with."
                : content.Text is { Length: > TextMaxLength } ? $"The caption is longer than {TextMaxLength} characters."
                : null;
        }

        if (content.Width is < 1 or > 100_000 || content.Height is < 1 or > 100_000)
        {
            return "An attachment's width and height are 1 to 100000 pixels.";
        }

        if (string.IsNullOrWhiteSpace(content.Name) || content.Name.Length > NameMaxLength)
        {
            return $"An attachment needs a name of 1 to {NameMaxLength} characters.";
        }

        if (content.Size is not { } size || size < 0 || size > MaxAttachmentSize)
        {
            return "An attachment needs its size in bytes (0 to 4 GiB).";
        }

        if (string.IsNullOrWhiteSpace(content.MimeType) || content.MimeType.Length > MimeTypeMaxLength || !content.MimeType.Contains('/', StringComparison.Ordinal))
        {
            return "An attachment needs a mimeType such as image/png.";
        }

        if (content.Kind == "image" && !content.MimeType.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
        {
            return "An image needs an image/* mimeType.";
        }

        return content.Text is { Length: > TextMaxLength } ? $"The caption is longer than {TextMaxLength} characters." : null;
    }

    /// <summary>
    /// An edit replaces a text message's text, or an image's or file's caption: the file a message
    /// carries stays what was sent, so an edit of one names no file (only <c>kind</c> and <c>text</c>).
    /// </summary>
    public static string? CheckEdit(MessageContent? content)
    {
        if (content?.Kind is not ("image" or "file"))
        {
            return Check(content);
        }

        return HasNul(content) ? NoNul
            : content.Url is not null || content.AttachmentId is not null || content.Name is not null || content.Size is not null
                || content.MimeType is not null || content.Width is not null || content.Height is not null
                ? "An edit changes only an attachment's caption (kind and text); the file stays what was sent. Delete the message and send a new one to change it."
            : content.Text is { Length: > TextMaxLength } ? $"The caption is longer than {TextMaxLength} characters."
            : null;
    }

    // Control characters are no part of an emoji, and PostgreSQL cannot store U+0000 in the reactions' jsonb.
    public static string? CheckEmoji(string? emoji) =>
        string.IsNullOrWhiteSpace(emoji) || emoji.Length > EmojiMaxLength || emoji.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            ? $"A reaction is one emoji (1 to {EmojiMaxLength} characters, no spaces or control characters)."
            : null;

    /// <summary>A short plain-text summary for notifications.</summary>
    public static string Preview(MessageContent content) => content.Kind switch
    {
        "text" => content.Text!.Length <= 140 ? content.Text : content.Text[..140] + "…",
        "image" => "📷 " + (content.Name ?? "Photo"),
        _ => "📎 " + (content.Name ?? "File"),
    };
}
