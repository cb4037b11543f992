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
public sealed class GetPatchwireUserCommand : UserCmdletBase
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Names or wildcard patterns to select users by.")]
    [Alias("User", "UserName")]
    [ArgumentCompleter(typeof(Completion.UserNameCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var users = Try(() => Registry.Load(), Name);
        if (users is null) return;
        if (Name is null || Name.Length == 0)
        {
            foreach (var u in users) WriteObject(PatchwireUser.From(u));
            return;
        }
        foreach (var pattern in Name)
        {
            var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            var matches = users.Where(u => wildcard.IsMatch(u.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(Common.Errors.Make($"No user named '{pattern}'. Get-PatchwireUser lists the users.", "UserNotFound", ErrorCategory.ObjectNotFound, pattern));
                continue;
            }
            foreach (var u in matches) WriteObject(PatchwireUser.From(u));
        }
    }
}
