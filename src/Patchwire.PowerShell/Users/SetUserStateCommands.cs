using System.Management.Automation;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Users;

public abstract class SetUserStateCommandBase : UserCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The user to change.")]
    [Alias("User", "UserName")]
    [ArgumentCompleter(typeof(Completion.UserNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(HelpMessage = "Return the changed user.")]
    public SwitchParameter PassThru { get; set; }

    internal void SetDisabled(bool disabled, string action)
    {
        if (!Exists(Name)) return;
        if (!ShouldProcess(Name, action)) return;
        var user = Try(() => Registry.SetDisabled(Name, disabled), Name);
        if (user is not null && PassThru) WriteObject(PatchwireUser.From(user));
    }
}

[Cmdlet(VerbsLifecycle.Disable, "PatchwireUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PatchwireUser))]
[Synopsis("Disables a Patchwire user: their token still resolves but every request gets 403.")]
[Description("Takes effect on the agent's next request, without a restart. Enable-PatchwireUser undoes it.")]
[Example("Disable-PatchwireUser ana", "Disables ana.")]
[Example("Get-PatchwireUser b* | Disable-PatchwireUser -WhatIf", "Shows which users would be disabled.")]
public sealed class DisablePatchwireUserCommand : SetUserStateCommandBase
{
    protected override void ProcessRecord() => SetDisabled(true, "Disable Patchwire user");
}

[Cmdlet(VerbsLifecycle.Enable, "PatchwireUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PatchwireUser))]
[Synopsis("Enables a disabled Patchwire user.")]
[Description("Their existing token works again on the agent's next request.")]
[Example("Enable-PatchwireUser ana -PassThru", "Enables ana and shows her entry.")]
public sealed class EnablePatchwireUserCommand : SetUserStateCommandBase
{
    protected override void ProcessRecord() => SetDisabled(false, "Enable Patchwire user");
}
