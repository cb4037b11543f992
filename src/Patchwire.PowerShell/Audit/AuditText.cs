using System.Globalization;

namespace Patchwire.PowerShell.Audit;

/// <summary>Short human forms shared by the table view and 'patchwire-agent log'.</summary>
internal static class AuditText
{
    public static string Outcome(PatchwireAuditEntry e)
    {
        var parts = new List<string>();
        if (e.Files is { } files) parts.Add(files == 1 ? "1 file" : $"{files} files");
        if (e.LinesAdded is not null || e.LinesRemoved is not null) parts.Add($"+{e.LinesAdded ?? 0} -{e.LinesRemoved ?? 0}");
        if (e.ExitCode is { } exit) parts.Add($"exit {exit}");
        if (e.VerifyPassed is { } verified) parts.Add(verified ? "verified" : "verify FAILED");
        if (e.TokensIn is not null || e.TokensOut is not null) parts.Add($"{e.TokensIn ?? 0} in / {e.TokensOut ?? 0} out tokens");
        if (e.Error is { } error) parts.Add(error);
        return string.Join(" ", parts);
    }

    public static string Duration(TimeSpan span)
    {
        if (span.TotalSeconds < 60) return span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
        if (span.TotalMinutes < 60) return $"{(int)span.TotalMinutes}m{span.Seconds:00}s";
        return $"{(int)span.TotalHours}h{span.Minutes:00}m";
    }

    public static string Timestamp(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
