using System.Management.Automation;
using Patchwire.Core.Audit;
using Patchwire.PowerShell.Audit;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Usage;

[Cmdlet(VerbsCommon.Get, "PatchwireUsage")]
[OutputType(typeof(PatchwireUsage))]
[Synopsis("Sums the audit log per user, project or day: requests, asks, chats, lines changed, tokens, cost and time.")]
[Description("Reads the agent's audit log (PW_AUDIT_LOG, default $PW_HOME/agent.log, and its rotated files) and returns one object per group, sorted by name. " +
             "Tokens and cost come from the audit lines' tokens_in, tokens_out and cost_usd (see PW_PRICING_FILE); lines that lack them count as 0. Days are UTC.")]
[Example("Get-PatchwireUsage -Since 7d", "This week's use per user, as a table.")]
[Example("Get-PatchwireUsage -GroupBy Day -Since 30d | Measure-Object CostUsd -Sum", "What the last 30 days cost.")]
[Example("Get-PatchwireUsage -User ana -GroupBy Project", "Ana's use per project.")]
[Example("Get-PatchwireUser a* | Get-PatchwireUsage", "The use of every user whose name starts with 'a'.")]
public sealed class GetPatchwireUsageCommand : PSCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "User names or wildcard patterns (ignoring case).")]
    [Alias("Name", "UserName")]
    [SupportsWildcards]
    public string[]? User { get; set; }

    [Parameter(HelpMessage = "Project names or wildcard patterns (ignoring case).")]
    [SupportsWildcards]
    public string[]? Project { get; set; }

    [Parameter(HelpMessage = "Only requests since then: a duration back from now (30m, 24h, 7d), a TimeSpan, or a DateTime.")]
    public object? Since { get; set; }

    [Parameter(HelpMessage = "One object per User (default), Project or Day (UTC).")]
    public UsageGrouping GroupBy { get; set; } = UsageGrouping.User;

    [Parameter(HelpMessage = "Another audit log to read. Defaults to PW_AUDIT_LOG or $PW_HOME/agent.log.")]
    [Alias("LogPath")]
    public string? Path { get; set; }

    private DateTimeOffset? _since;
    private readonly List<string> _users = new();
    private bool _anyUser;

    protected override void BeginProcessing()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Since)))
        {
            var value = Since is PSObject wrapped ? wrapped.BaseObject : Since;
            // In argument mode PowerShell reads 7d as the decimal 7 and 90s as the short 90; the wrapper keeps the typed text.
            if (Since is PSObject literal && value is byte or short or int or long or decimal or double or float) value = literal.ToString();
            _since = AuditSince.TryParse(value, DateTimeOffset.UtcNow, out var error);
            if (_since is null)
                ThrowTerminatingError(Common.Errors.Make(error + " Examples: -Since 30m, -Since 24h, -Since 7d.", "InvalidSince", ErrorCategory.InvalidArgument, Since));
        }
    }

    // Users from the pipeline are gathered, so that piped users give one report rather than one per input.
    protected override void ProcessRecord()
    {
        if (User is null || User.Length == 0) _anyUser = true;
        else _users.AddRange(User);
    }

    protected override void EndProcessing()
    {
        var search = new AuditLogSearch
        {
            Users = _anyUser || _users.Count == 0 ? null : _users.Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
            Projects = Project,
            Since = _since,
            Limit = 0,
            Path = string.IsNullOrEmpty(Path) ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path),
        };
        var reader = new AuditReader(search.LogPath);
        if (!reader.Exists)
        {
            WriteError(Common.Errors.Make(
                $"No audit log at '{reader.LogPath}'. The agent creates it on the first successful /ask or /chat; PW_AUDIT_LOG or -Path may point elsewhere.",
                "AuditLogNotFound", ErrorCategory.ObjectNotFound, reader.LogPath));
            return;
        }
        try
        {
            foreach (var usage in UsageReport.Build(reader, search.ToQuery(), GroupBy)) WriteObject(usage);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteError(Common.Errors.Make($"Could not read the audit log '{reader.LogPath}': {ex.Message}", "AuditLogUnreadable", ErrorCategory.ReadError, reader.LogPath, ex));
            return;
        }
        if (reader.SkippedLines > 0)
            WriteWarning($"Skipped {reader.SkippedLines} torn or malformed line{(reader.SkippedLines == 1 ? "" : "s")} in the audit log '{reader.LogPath}'.");
    }
}
