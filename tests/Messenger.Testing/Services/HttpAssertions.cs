using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Messenger.Testing.Services;

/// <summary>Assertions on the error shape every messenger service shares (RFC 9457 problem details).</summary>
public static class HttpAssertions
{
    /// <summary>Asserts an RFC 9457 problem response and returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("traceId").GetString()));
        Assert.DoesNotContain("   at ", body.ToString(), StringComparison.Ordinal);
        return body;
    }

    public static string[] FieldErrors(this JsonElement problem, string field) =>
        problem.GetProperty("errors").TryGetProperty(field, out var errors)
            ? [.. errors.EnumerateArray().Select(e => e.GetString()!)]
            : [];
}
