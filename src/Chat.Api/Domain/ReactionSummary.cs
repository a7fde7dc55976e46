using Chat.Api.Realtime;

namespace Chat.Api.Domain;

internal static class ReactionSummary
{
    /// <summary>Groups stored (emoji, user) pairs into one entry per emoji, in the order they were first given.</summary>
    public static IReadOnlyList<Reaction>? From(IReadOnlyList<ReactionEntry>? entries) =>
        entries is null || entries.Count == 0
            ? null
            : entries.GroupBy(e => e.Emoji, StringComparer.Ordinal)
                .Select(g => new Reaction(g.Key, g.Count(), [.. g.Select(e => e.UserId)]))
                .ToList();
}
