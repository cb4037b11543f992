using System.Management.Automation;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Users;

[Cmdlet(VerbsCommon.New, "PatchwireUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PatchwireUserToken))]
[Synopsis("Creates a Patchwire user and returns their token, shown this once.")]
[Description("Adds a developer to the agent's user registry (PW_USERS_FILE, default $PW_HOME/users.json). Only the SHA-256 of the token is stored; the returned object's Token property is the only time the token can be read. The running agent accepts the new user on its next request.")]
[Example("New-PatchwireUser -Name ana", "Creates user ana and shows her token once.")]
[Example("'ana','ben' | New-PatchwireUser | Select-Object Name, Token", "Creates two users from the pipeline and lists their tokens.")]
[Example("New-PatchwireUser ana -Token $oldToken", "Creates ana with a token the admin supplies, for example one a laptop already uses.")]
public sealed class NewPatchwireUserCommand : UserCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The user name: letters, digits, '_', '.', '-'; at most 64 characters.")]
    [Alias("User", "UserName")]
    public string Name { get; set; } = "";

    [Parameter(HelpMessage = "A token to use instead of a generated one (16 to 512 printable characters).")]
    public string? Token { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, "Create Patchwire user")) return;
        var created = Try(() => (object)Registry.Add(Name, Token), Name);
        if (created is ValueTuple<Patchwire.Core.Identity.UserRecord, string> pair)
            WriteObject(PatchwireUserToken.From(pair.Item1, pair.Item2));
    }
}
