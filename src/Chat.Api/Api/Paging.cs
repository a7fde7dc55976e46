namespace Chat.Api.Api;

/// <summary>The list conventions of DESIGN §3: <c>limit</c> 1 to 100, default 50.</summary>
internal static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    public static int ReadLimit(string? value, Dictionary<string, string[]> errors, int defaultLimit = DefaultLimit)
    {
        if (value is null)
        {
            return defaultLimit;
        }

        if (int.TryParse(value, out var limit) && limit is >= 1 and <= MaxLimit)
        {
            return limit;
        }

        errors["limit"] = [$"The limit must be a whole number from 1 to {MaxLimit}."];
        return defaultLimit;
    }

    /// <summary>Reads a seq cursor (<c>before</c>/<c>after</c>): a whole number of 0 or more.</summary>
    public static long? ReadSeq(string? value, string name, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (long.TryParse(value, out var seq) && seq >= 0)
        {
            return seq;
        }

        errors[name] = [$"'{name}' is a seq from a message or a nextCursor: a whole number of 0 or more."];
        return null;
    }
}
