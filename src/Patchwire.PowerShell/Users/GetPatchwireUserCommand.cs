using System.Management.Automation;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Users;

[Cmdlet(VerbsCommon.Get, "PatchwireUser")]
[OutputType(typeof(PatchwireUser))]
[Synopsis("Lists Patchwire users: name, status, creation and last-seen times.")]
[Description("Reads the user registry. Names accept wildcards. Tokens are never shown: only their hashes are stored.")]
[Example("Get-PatchwireUser", "Lists every user.")]
[Example("Get-PatchwireUser -Name a*", "Lists the users whose names start with 'a'.")]
[Example("Get-PatchwireUser | Where-Object { -not $_.LastSeen } | Disable-PatchwireUser", "Disables every user who has never called the agent.")]
public sealed class GetPatchwireUserCommand : UserSelectionCmdlet
{
    protected override void ProcessRecord()
    {
        foreach (var u in SelectedUsers()) WriteObject(PatchwireUser.From(u));
    }
}
