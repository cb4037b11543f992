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

    /// <summary>The filters 'patchwire-agent log' and 'patchwire-agent usage' share: --user, --project, --since, --path.</summary>
    public static AuditLogSearch FromCli(Cli.CliContext context, Cli.CliArgs args)
    {
        if (args.Positionals.Count > 0) throw new Cli.CliUsageException($"unexpected argument '{args.Positionals[0]}'");
        var search = new AuditLogSearch
        {
            Users = args.Option("--user") is { } user ? new[] { user } : null,
            Projects = args.Option("--project") is { } project ? new[] { project } : null,
            Path = args.Option("--path") is { } path ? context.ResolvePath(path) : null,
        };
        if (args.Option("--since") is { } since)
            search.Since = AuditSince.TryParse(since, DateTimeOffset.UtcNow, out var error) ?? throw new Cli.CliUsageException("--since: " + error);
        return search;
    }

    /// <summary>The reader of the log for a CLI verb; a missing log fails the verb.</summary>
    public AuditReader OpenForCli()
    {
        var reader = new AuditReader(LogPath);
        if (!reader.Exists)
            throw new Cli.CliFailure($"no audit log at {reader.LogPath} (the agent creates it on the first successful /ask or /chat; set PW_AUDIT_LOG or use --path)");
        return reader;
    }

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
