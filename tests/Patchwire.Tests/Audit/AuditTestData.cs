using System.Text;
using Patchwire.Core.Audit;

namespace Patchwire.Tests.Audit;

/// <summary>Audit entries and raw log files for the audit tests.</summary>
internal static class AuditTestData
{
    public static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public static AuditEntry Ask(string user, string project, DateTimeOffset ts, int n = 0) => new()
    {
        Timestamp = ts,
        User = user,
        Project = project,
        Route = "/ask",
        PromptSha256 = AuditEntry.HashPrompt("prompt " + n),
        DurationMs = 1000 + n,
        QueueWaitMs = n % 7,
        Files = n % 5,
        LinesAdded = n % 11,
        LinesRemoved = n % 3,
        ExitCode = 0,
    };

    public static AuditEntry Chat(string user, string project, DateTimeOffset ts, int n = 0) => new()
    {
        Timestamp = ts,
        User = user,
        Project = project,
        Route = "/chat",
        PromptSha256 = AuditEntry.HashPrompt("chat " + n),
        DurationMs = 2000 + n,
        QueueWaitMs = 3,
        Uuid = $"00000000-0000-4000-8000-{n:D12}",
        TokensIn = 100 + n,
        TokensOut = 50 + n,
    };

    public static string Line(AuditEntry e) => Encoding.UTF8.GetString(AuditLineFormat.Serialize(e));

    /// <summary>Writes entries as lines into a file (no writer, no rotation), optionally with extra raw text appended.</summary>
    public static void WriteFile(string path, IEnumerable<AuditEntry> entries, string? extra = null)
    {
        var text = new StringBuilder();
        foreach (var e in entries) text.Append(Line(e));
        if (extra is not null) text.Append(extra);
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
    }

    public static List<string> Lines(string path) =>
        File.ReadAllText(path).Split('\n').Where(l => l.Length > 0).ToList();
}
