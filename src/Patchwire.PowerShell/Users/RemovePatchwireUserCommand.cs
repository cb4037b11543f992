using System.Management.Automation;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Users;

[Cmdlet(VerbsCommon.Remove, "PatchwireUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(PatchwireUser))]
[Synopsis("Removes a Patchwire user entirely; their token stops working at once.")]
[Description("Asks for confirmation unless -Force or -Confirm:$false is given. The user's checkouts on the box are left in place.")]
[Example("Remove-PatchwireUser ana", "Removes ana after asking.")]
[Example("Get-PatchwireUser | Where-Object Disabled | Remove-PatchwireUser -Force", "Removes every disabled user without asking.")]
public sealed class RemovePatchwireUserCommand : UserCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The user to remove.")]
    [Alias("User", "UserName")]
    [ArgumentCompleter(typeof(Completion.UserNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(HelpMessage = "Remove without asking for confirmation.")]
    public SwitchParameter Force { get; set; }

    [Parameter(HelpMessage = "Return the removed user.")]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!Exists(Name)) return;
        if (!Force && !ShouldProcess(Name, "Remove Patchwire user")) return;
        if (Force && MyInvocation.BoundParameters.ContainsKey("WhatIf") && !ShouldProcess(Name, "Remove Patchwire user")) return;
        var removed = Try(() => Registry.Remove(Name), Name);
        if (removed is not null && PassThru) WriteObject(PatchwireUser.From(removed));
    }
}
