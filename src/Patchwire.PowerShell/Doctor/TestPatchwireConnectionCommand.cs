using System.Management.Automation;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Doctor;

[Cmdlet(VerbsDiagnostic.Test, "PatchwireConnection")]
[OutputType(typeof(PatchwireCheck), typeof(bool))]
[Synopsis("Checks that this laptop can use Patchwire: git, configuration, the agent, the token and the project ('patchwire doctor').")]
[Description("Returns one object per check (Check, Passed, Message): git is on PATH; the configuration loads (environment, patchwire.yml, $PW_HOME/env); the agent answers GET /health and finds its AI command; the token is accepted by GET /me; the project folder can be synced. -Quiet returns a single $true or $false instead.")]
[Example("Test-PatchwireConnection", "Shows a PASS or FAIL line per check.")]
[Example("if (-not (Test-PatchwireConnection -Quiet)) { Test-PatchwireConnection | Where-Object { -not $_.Passed } }", "Shows only what fails.")]
[Example("patchwire doctor", "The same from the command line; exit code 1 when a check fails.")]
public sealed class TestPatchwireConnectionCommand : PatchwireCmdlet
{
    [Parameter(Position = 0, HelpMessage = "The project folder to check (default: the current folder).")]
    public string? Path { get; set; }

    [Parameter(HelpMessage = "Return $true when every check passes, else $false.")]
    public SwitchParameter Quiet { get; set; }

    [Parameter(HelpMessage = "Seconds to wait for each answer from the agent (default 10).")]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = 10;

    protected override void ProcessRecord()
    {
        var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(string.IsNullOrEmpty(Path) ? "." : Path);
        var checks = Await(token => ConnectionDoctor.RunAsync(folder, TimeSpan.FromSeconds(TimeoutSec), token));
        if (Quiet) WriteObject(checks.All(c => c.Passed));
        else WriteObject(checks, enumerateCollection: true);
    }
}
