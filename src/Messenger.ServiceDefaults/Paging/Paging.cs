using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messenger.ServiceDefaults.Paging;

/// <summary>One page of a list (DESIGN §3): <c>{items, nextCursor}</c>, with <c>nextCursor: null</c> on the last page.</summary>
public sealed record Page<T>(
    IReadOnlyList<T> Items,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

/// <summary>What a client asked of a list: how many items, and after which position (null for the first page).</summary>
public sealed record PageRequest<TPosition>(int Limit, TPosition? After) where TPosition : class;

/// <summary>
/// <c>?limit=</c> (default 50, 1 to 100) and opaque <c>?cursor=</c> values. A cursor is the position
/// of the last item of the previous page, as base64url JSON: clients pass it back untouched.
/// </summary>
public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    private static readonly JsonSerializerOptions CursorJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Validates <paramref name="limit"/> and decodes <paramref name="cursor"/>; on failure the errors are keyed by parameter name.</summary>
    public static bool TryRead<TPosition>(
        int? limit,
        string? cursor,
        [NotNullWhen(true)] out PageRequest<TPosition>? page,
        [NotNullWhen(false)] out Dictionary<string, string[]>? errors)
        where TPosition : class
    {
        page = null;
        errors = null;
        if (limit is < 1 or > MaxLimit)
        {
            errors = new() { ["limit"] = [$"The limit is a number from 1 to {MaxLimit} (default {DefaultLimit})."] };
        }

        TPosition? after = null;
        if (cursor is not null && !TryDecode(cursor, out after))
        {
            errors ??= [];
            errors["cursor"] = ["The cursor is not one this list returned; pass nextCursor back unchanged, or leave it out for the first page."];
        }

        if (errors is not null)
        {
            return false;
        }

        page = new PageRequest<TPosition>(limit ?? DefaultLimit, after);
        return true;
    }

    /// <summary>
    /// Builds a page from rows fetched with <c>LIMIT limit + 1</c>: the extra row only tells that a next page
    /// exists, and the cursor points after the last row shown.
    /// </summary>
    public static Page<TItem> ToPage<TRow, TItem, TPosition>(
        IReadOnlyList<TRow> rows, int limit, Func<TRow, TItem> item, Func<TRow, TPosition> position)
        where TPosition : class
    {
        var shown = rows.Count > limit ? rows.Take(limit).ToList() : rows;
        var next = rows.Count > limit ? Encode(position(shown[^1])) : null;
        return new Page<TItem>([.. shown.Select(item)], next);
    }

    public static string Encode<TPosition>(TPosition position) where TPosition : class =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(position, CursorJson));

    private static bool TryDecode<TPosition>(string cursor, [NotNullWhen(true)] out TPosition? position) where TPosition : class
    {
        position = null;
        if (cursor.Length is 0 or > 512 || !Base64Url.IsValid(cursor))
        {
            return false;
        }

        try
        {
            position = JsonSerializer.Deserialize<TPosition>(Base64Url.DecodeFromChars(cursor), CursorJson);
            return position is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
