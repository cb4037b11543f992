using System.Management.Automation;
using Patchwire.Core.Audit;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Audit;

[Cmdlet(VerbsCommon.Get, "PatchwireAuditLog")]
[OutputType(typeof(PatchwireAuditEntry), typeof(string))]
[Synopsis("Reads the agent's audit log: who ran what, where, with what effect and how long they waited.")]
[Description("Reads the live audit log (PW_AUDIT_LOG, default $PW_HOME/agent.log) and its rotated files (agent.log.1, .2, ...) in time order, applies -User, -Project, -Route and -Since, then returns the last -Limit matches (default 100, 0 for all), oldest first, as objects. -Raw returns the JSON lines unchanged, for jq or archiving. The log holds only a SHA-256 of each prompt, never its text. Torn or malformed lines are skipped with a warning giving their count. A missing log is an error (ObjectNotFound); an empty log returns nothing. Reading is streamed and, with a limit, starts from the newest end, so it stays fast and small on large logs.")]
[Example("Get-PatchwireAuditLog", "The last 100 turns, as a table.")]
[Example("Get-PatchwireAuditLog -User ana -Since 24h", "Ana's turns of the last 24 hours.")]
[Example("Get-PatchwireAuditLog -Since 7d -Limit 0 | Group-Object User | Sort-Object Count -Descending | Select-Object Name, Count", "Who used the box most this week.")]
[Example("Get-PatchwireAuditLog -Project team-* -Route ask -Limit 0 | Measure-Object Duration -Average", "Turns on the team projects, then their mean duration in ticks (use .Duration.TotalSeconds for seconds).")]
[Example("Get-PatchwireAuditLog -Since 7d -Limit 0 | Where-Object QueueWait -gt ([timespan]'00:00:30')", "Turns that waited more than 30 seconds in the queue this week.")]
[Example("Get-PatchwireAuditLog -Since '2026-11-01' -Limit 0 -Raw | Set-Content november.jsonl", "Every line since 1 November, unchanged, into a file.")]
[Example("Get-PatchwireUser -Name a* | Get-PatchwireAuditLog -Limit 5", "The last 5 turns of each user whose name starts with 'a' (user objects bind by their Name).")]
[Example("Get-PatchwireAuditLog -Path /backup/agent.log -User ben", "Reads another log (and its rotated files) instead of the agent's.")]
public sealed class GetPatchwireAuditLogCommand : AuditLogCmdlet
{
    [Parameter(HelpMessage = "Only turns of this route: ask or chat (with or without the leading '/').")]
    [ValidateSet("ask", "chat", "/ask", "/chat", IgnoreCase = true)]
    public string? Route { get; set; }

    [Parameter(HelpMessage = "How many of the last matches to return (default 100); 0 returns them all.")]
    [ValidateRange(0, int.MaxValue)]
    public int Limit { get; set; } = 100;

    [Parameter(HelpMessage = "Return the JSON lines unchanged, as strings, instead of objects.")]
    public SwitchParameter Raw { get; set; }

    protected override void ProcessRecord()
    {
        var search = new AuditLogSearch
        {
            Users = User,
            Projects = Project,
            Route = Route,
            Since = SinceTime,
            Limit = Limit,
            Path = LogPath,
        };
        ReadLog(search, reader =>
        {
            foreach (var record in reader.Read(search.ToQuery()))
            {
                if (Raw) WriteObject(record.Line);
                else WriteObject(PatchwireAuditEntry.From(record.Entry));
            }
        });
    }
}
