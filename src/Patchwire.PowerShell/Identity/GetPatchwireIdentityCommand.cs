using System.Management.Automation;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Identity;

[Cmdlet(VerbsCommon.Get, "PatchwireIdentity")]
[OutputType(typeof(PatchwireIdentity))]
[Synopsis("Shows which user the agent says your token belongs to (GET /me).")]
[Description("Calls GET /me on the agent named by PW_AGENT_URL (or patchwire.yml, or $PW_HOME/env) with your token and returns User, Disabled, CreatedAt, LastSeen and AgentUrl. A token the agent does not know (401), a disabled user (403) and an agent that cannot be reached are terminating errors that say what to do. 'patchwire whoami' is the same on the command line ('--json' for scripts).")]
[Example("Get-PatchwireIdentity", "Who am I on the agent?")]
[Example("(Get-PatchwireIdentity).User", "Just the user name, for a script.")]
[Example("Get-PatchwireIdentity -Path ~/src/team-app", "The identity the settings of that project (its patchwire.yml) give.")]
public sealed class GetPatchwireIdentityCommand : PatchwireCmdlet
{
    [Parameter(Position = 0, HelpMessage = "The project folder whose settings to use (default: the current folder).")]
    public string? Path { get; set; }

    protected override void EndProcessing()
    {
        var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(string.IsNullOrEmpty(Path) ? "." : Path);
        var settings = UserSettings.Load(this, folder);
        WriteVerbose($"GET {settings.AgentUrl}/me");
        try
        {
            WriteObject(Await(token => IdentityClient.GetAsync(settings, token)));
        }
        catch (PatchwireException ex)
        {
            ThrowTerminatingError(Errors.From(ex, settings.AgentUrl));
        }
    }
}
