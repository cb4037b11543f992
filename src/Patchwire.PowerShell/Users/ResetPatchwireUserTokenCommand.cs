using System.Management.Automation;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Users;

[Cmdlet(VerbsCommon.Reset, "PatchwireUserToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PatchwireUserToken))]
[Synopsis("Gives a user a new token; the old one stops working at once.")]
[Description("Returns the user with the new token, shown this once. The agent refuses the old token from its next request on.")]
[Example("Reset-PatchwireUserToken ana", "Rotates ana's token and shows the new one.")]
[Example("Get-PatchwireUser | Reset-PatchwireUserToken -Confirm:$false | Export-Csv tokens.csv", "Rotates every token and saves the new ones.")]
public sealed class ResetPatchwireUserTokenCommand : UserCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The user whose token to replace.")]
    [Alias("User", "UserName")]
    [ArgumentCompleter(typeof(Completion.UserNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(HelpMessage = "A token to use instead of a generated one.")]
    public string? Token { get; set; }

    protected override void ProcessRecord()
    {
        if (!Exists(Name)) return;
        if (!ShouldProcess(Name, "Replace the token of Patchwire user")) return;
        var rotated = Try(() => (object)Registry.Rotate(Name, Token), Name);
        if (rotated is ValueTuple<UserRecord, string> pair)
            WriteObject(PatchwireUserToken.From(pair.Item1, pair.Item2));
    }
}
