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
public sealed class GetPatchwireUsageCommand : AuditLogCmdlet
{
    [Parameter(HelpMessage = "One object per User (default), Project or Day (UTC).")]
    public UsageGrouping GroupBy { get; set; } = UsageGrouping.User;

    private readonly List<string> _users = new();
    private bool _anyUser;

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
            Since = SinceTime,
            Limit = 0,
            Path = LogPath,
        };
        ReadLog(search, reader =>
        {
            foreach (var usage in UsageReport.Build(reader, search.ToQuery(), GroupBy)) WriteObject(usage);
        });
    }
}
