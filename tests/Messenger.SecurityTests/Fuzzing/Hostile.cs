using System.Globalization;
using System.Reflection;
using System.Text;
using CsCheck;

namespace Messenger.SecurityTests.Fuzzing;

/// <summary>
/// Hostile JSON, generated cheaply from a <see cref="PCG"/> with CsCheck's generators for the
/// primitives: wrong types, huge and non-finite numbers, deep nesting, control characters, lone
/// surrogates, invalid UTF-8, truncation, oversized fields. Text is written by hand rather than
/// through a serializer, so it can be as broken as an attacker's.
/// </summary>
public static class Hostile
{
    private static readonly Gen<char> AnyChar = Gen.Char;
    private static readonly Gen<string> AnyText = Gen.String[AnyChar, 0, 40];
    private static readonly Gen<string> AsciiText = Gen.String[Gen.Char[' ', '~'], 0, 40];
    private static readonly Gen<long> AnyLong = Gen.Long;
    private static readonly Gen<double> AnyDouble = Gen.Double;
    private static readonly Gen<Guid> AnyGuid = Gen.Guid;

    private static readonly string[] SpecialStrings =
    [
        "", " ", "\u0000", "a\u0000b", "\t\r\n", "\u202e\u202d", "\ufeff", "\uffff", "\ud800", "\udc00", "\ud83d", "👍", "👨‍👩‍👧‍👦",
        "null", "true", "undefined", "NaN", "Infinity", "-0", "0x10", "1e400", "../../etc/passwd", "%00", "%zz", "<script>alert(1)</script>",
        "' OR 1=1 --", "\"; DROP TABLE users; --", "${jndi:ldap://x}", "{{7*7}}", "\\", "\\u0000", "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff", "2026-13-45T25:61:61Z", "-9223372036854775809", "9223372036854775808",
        "admin", "search", "blocked", "image/png", "text/plain", "https://", "http://127.0.0.1:9/", "javascript:alert(1)", "data:,x",
    ];

    private static readonly string[] HugeNumbers =
    [
        "0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "1e308", "1e309", "-1e309", "1e-400", "0.5", "-0.0", "1.7976931348623157e308", "123456789012345678901234567890",
        "4294967296", "253402300799999", "253402300800000", "-62135596800001", "00", "01", "1.", ".5", "+1", "-", "1e", "NaN", "Infinity",
    ];

    public static int Next(PCG pcg, int exclusiveMax) => (int)pcg.Next((uint)exclusiveMax);

    public static bool Chance(PCG pcg, int percent) => Next(pcg, 100) < percent;

    public static T Pick<T>(PCG pcg, IReadOnlyList<T> items) => items[Next(pcg, items.Count)];

    private static T Draw<T>(Gen<T> gen, PCG pcg) => gen.Generate(pcg, null!, out _);

    public static Guid AnyId(PCG pcg) => Draw(AnyGuid, pcg);

    /// <summary>A string an attacker might send: special values, any UTF-16 (lone surrogates and controls too), sometimes very long.</summary>
    public static string Text(PCG pcg) => Next(pcg, 20) switch
    {
        0 or 1 or 2 or 3 => Pick(pcg, SpecialStrings),
        4 or 5 or 6 or 7 or 8 => Draw(AnyText, pcg),
        9 => new string(Draw(AnyChar, pcg), 1 + Next(pcg, Chance(pcg, 50) ? 5_000 : 70_000)),
        10 => string.Concat(Enumerable.Repeat("ab\u0000", 1 + Next(pcg, 2_000))),
        _ => Draw(AsciiText, pcg),
    };

    /// <summary>A JSON number literal that may not fit any .NET numeric type.</summary>
    public static string Number(PCG pcg) => Next(pcg, 4) switch
    {
        0 => Draw(AnyLong, pcg).ToString(CultureInfo.InvariantCulture),
        1 => Draw(AnyDouble, pcg) is var d && double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "1e999",
        _ => Pick(pcg, HugeNumbers),
    };

    /// <summary>Any JSON value, nested a little.</summary>
    public static void Value(StringBuilder json, PCG pcg, int depth)
    {
        switch (Next(pcg, depth > 3 ? 5 : 8))
        {
            case 0:
                json.Append("null");
                break;
            case 1:
                json.Append(Chance(pcg, 50) ? "true" : "false");
                break;
            case 2:
            case 3:
                Quoted(json, Text(pcg), pcg);
                break;
            case 4:
                json.Append(Number(pcg));
                break;
            case 5:
                json.Append('[');
                for (var i = Next(pcg, 4); i > 0; i--)
                {
                    Value(json, pcg, depth + 1);
                    json.Append(i > 1 ? "," : "");
                }

                json.Append(']');
                break;
            default:
                json.Append('{');
                for (var i = Next(pcg, 4); i > 0; i--)
                {
                    Quoted(json, Chance(pcg, 70) ? Pick(pcg, FieldNames) : Text(pcg), pcg);
                    json.Append(':');
                    Value(json, pcg, depth + 1);
                    json.Append(i > 1 ? "," : "");
                }

                json.Append('}');
                break;
        }
    }

    private static readonly string[] FieldNames =
    [
        "type", "username", "password", "email", "displayName", "refreshToken", "allSessions", "userId", "requestId", "title", "memberIds",
        "userIds", "role", "seq", "content", "kind", "text", "url", "attachmentId", "name", "size", "mimeType", "clientMessageId", "replyTo",
        "endpoint", "keys", "p256dh", "auth", "expirationTime", "mutedConversationIds", "bio", "avatarUrl", "privacy", "searchableBy",
        "provider", "code", "codeVerifier", "redirectUri", "nonce", "attachmentIds", "conversationId", "messageId", "emoji", "afterSeq",
        "requestId", "__proto__", "$type", "constructor",
    ];

    /// <summary>A JSON string literal; control characters and surrogates are written as <c>\uXXXX</c> escapes (lone surrogates too).</summary>
    public static void Quoted(StringBuilder json, string value, PCG pcg)
    {
        json.Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                json.Append('\\').Append(c);
            }
            else if (c < 0x20 || char.IsSurrogate(c) || Chance(pcg, 2))
            {
                json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                json.Append(c);
            }
        }

        json.Append('"');
    }

    /// <summary>An object with the fields of <paramref name="type"/> (camelCase), each a plausible value, a hostile one, or left out; sometimes extra fields or a duplicate.</summary>
    public static void Shaped(StringBuilder json, Type type, PCG pcg, Func<PCG, Guid> ids, int depth = 0)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        json.Append('{');
        var first = true;
        foreach (var property in properties)
        {
            if (Chance(pcg, 20))
            {
                continue;
            }

            Separator(json, ref first);
            Quoted(json, Chance(pcg, 3) ? property.Name : JsonName(property.Name), pcg);
            json.Append(':');
            if (Chance(pcg, 25))
            {
                Value(json, pcg, depth + 1);
            }
            else
            {
                Typed(json, property.PropertyType, pcg, ids, depth);
            }
        }

        if (Chance(pcg, 10) && properties.Length > 0)
        {
            Separator(json, ref first);
            Quoted(json, JsonName(Pick(pcg, properties).Name), pcg);
            json.Append(':');
            Value(json, pcg, depth + 1);
        }

        if (Chance(pcg, 10))
        {
            Separator(json, ref first);
            Quoted(json, Text(pcg), pcg);
            json.Append(':');
            Value(json, pcg, depth + 1);
        }

        json.Append('}');
    }

    private static void Typed(StringBuilder json, Type type, PCG pcg, Func<PCG, Guid> ids, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (Chance(pcg, 8))
        {
            json.Append("null");
        }
        else if (type == typeof(string))
        {
            Quoted(json, Text(pcg), pcg);
        }
        else if (type == typeof(Guid))
        {
            Quoted(json, Chance(pcg, 85) ? ids(pcg).ToString() : Text(pcg), pcg);
        }
        else if (type == typeof(bool))
        {
            json.Append(Chance(pcg, 50) ? "true" : "false");
        }
        else if (type == typeof(int) || type == typeof(long) || type == typeof(double))
        {
            json.Append(Chance(pcg, 40) ? Next(pcg, 100).ToString(CultureInfo.InvariantCulture) : Number(pcg));
        }
        else if (type.IsEnum)
        {
            Quoted(json, Chance(pcg, 60) ? JsonName(Pick(pcg, Enum.GetNames(type))) : Text(pcg), pcg);
        }
        else if (type.IsGenericType && type.GetGenericArguments() is [var element])
        {
            json.Append('[');
            var count = Chance(pcg, 3) ? 1_000 + Next(pcg, 2_000) : Next(pcg, 5);
            for (var i = 0; i < count; i++)
            {
                json.Append(i > 0 ? "," : "");
                Typed(json, element, pcg, ids, depth + 1);
            }

            json.Append(']');
        }
        else if (type.IsClass && depth < 3)
        {
            Shaped(json, type, pcg, ids, depth + 1);
        }
        else
        {
            Value(json, pcg, depth + 1);
        }
    }

    /// <summary>Nesting deeper than any parser's limit (System.Text.Json stops at 64).</summary>
    public static string DeepNesting(PCG pcg)
    {
        var depth = 60 + Next(pcg, Chance(pcg, 50) ? 20 : 5_000);
        var json = new StringBuilder();
        var objects = Chance(pcg, 50);
        for (var i = 0; i < depth; i++)
        {
            json.Append(objects ? "{\"a\":" : "[");
        }

        json.Append('1');
        for (var i = 0; i < depth; i++)
        {
            json.Append(objects ? '}' : ']');
        }

        return json.ToString();
    }

    /// <summary>Breaks valid UTF-8 JSON at the byte level: invalid sequences, a cut, a flipped byte, garbage around it.</summary>
    public static byte[] Corrupt(byte[] utf8, PCG pcg)
    {
        byte[][] invalid = [[0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xFE, 0xFF]];
        var bytes = utf8.ToList();
        switch (Next(pcg, 5))
        {
            case 0:
            case 1:
                bytes.InsertRange(Next(pcg, bytes.Count + 1), Pick(pcg, invalid));
                break;
            case 2:
                var cut = Next(pcg, bytes.Count + 1);
                bytes.RemoveRange(cut, bytes.Count - cut);
                break;
            case 3 when bytes.Count > 0:
                bytes[Next(pcg, bytes.Count)] = (byte)Next(pcg, 256);
                break;
            default:
                bytes.InsertRange(0, Encoding.UTF8.GetBytes(Pick(pcg, new[] { "\ufeff", "/*x*/", "garbage", ",", "\u0000" })));
                bytes.AddRange(Encoding.UTF8.GetBytes(Pick(pcg, new[] { ",", "}", "]]]", "//", "\u0000", " trailing" })));
                break;
        }

        return [.. bytes];
    }

    public static string JsonName(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static void Separator(StringBuilder json, ref bool first)
    {
        if (!first)
        {
            json.Append(',');
        }

        first = false;
    }
}
