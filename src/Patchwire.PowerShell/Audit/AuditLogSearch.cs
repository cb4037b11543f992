using System.Management.Automation;
using Patchwire.Core.Audit;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Audit;

/// <summary>The audit query both Get-PatchwireAuditLog and 'patchwire-agent log' run: which file, which filters, how many.</summary>
internal sealed class AuditLogSearch
{
    public string[]? Users { get; set; }
    public string[]? Projects { get; set; }
    public string? Route { get; set; }
    public DateTimeOffset? Since { get; set; }
    public int Limit { get; set; } = 100;
    /// <summary>The live log file; null for PW_AUDIT_LOG or $PW_HOME/agent.log.</summary>
    public string? Path { get; set; }

    public string LogPath => string.IsNullOrEmpty(Path) ? ModuleEnvironment.Home.AuditLog() : System.IO.Path.GetFullPath(Path);

    public AuditQuery ToQuery() => new()
    {
        User = Filter(Users),
        Project = Filter(Projects),
        Route = Route is null ? null : AuditTextFilter.Equal(NormalizeRoute(Route)),
        Since = Since,
        Limit = Limit,
    };

    /// <summary>"ask", "/ask", "ASK" all mean the route "/ask".</summary>
    public static string NormalizeRoute(string route)
    {
        var trimmed = route.Trim().ToLowerInvariant();
        return trimmed.StartsWith("/", StringComparison.Ordinal) ? trimmed : "/" + trimmed;
    }

    /// <summary>PowerShell wildcards, ignoring case; several patterns match when any does.</summary>
    public static AuditTextFilter? Filter(string[]? patterns)
    {
        var list = patterns?.Where(p => !string.IsNullOrEmpty(p)).ToArray() ?? Array.Empty<string>();
        if (list.Length == 0) return null;
        var wildcards = list.Select(p => WildcardPattern.Get(p, WildcardOptions.IgnoreCase)).ToArray();
        bool Matches(string value) => wildcards.Any(w => w.IsMatch(value));
        if (list.Length > 1) return new AuditTextFilter(Matches);
        var pattern = list[0];
        if (!WildcardPattern.ContainsWildcardCharacters(pattern)) return new AuditTextFilter(Matches, pattern, exact: true);
        return new AuditTextFilter(Matches, LongestLiteral(pattern));
    }

    /// <summary>The longest run of plain characters in a wildcard pattern (every match contains it), or null.</summary>
    private static string? LongestLiteral(string pattern)
    {
        if (pattern.IndexOfAny(new[] { '[', ']', '`' }) >= 0) return null;
        return pattern.Split('*', '?').OrderByDescending(s => s.Length).FirstOrDefault(s => s.Length > 0);
    }
}
