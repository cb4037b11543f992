using System.Management.Automation;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Users;

/// <summary>
/// What Get-PatchwireUser and Get-PatchwireUserPolicy share: -Name (names or wildcard patterns, from the pipeline too)
/// and the users it selects, with one UserNotFound error per plain name that matches nobody.
/// </summary>
public abstract class UserSelectionCmdlet : UserCmdletBase
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Names or wildcard patterns to select users by.")]
    [Alias("User", "UserName")]
    [ArgumentCompleter(typeof(Completion.UserNameCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>The users -Name selects (every user without it), in registry order per pattern.</summary>
    private protected IEnumerable<UserRecord> SelectedUsers()
    {
        var users = Try(() => Registry.Load(), Name);
        if (users is null) yield break;
        foreach (var pattern in Name is { Length: > 0 } ? Name : new[] { "*" })
        {
            var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            var matches = users.Where(u => wildcard.IsMatch(u.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(Errors.Make($"No user named '{pattern}'. Get-PatchwireUser lists the users.", "UserNotFound", ErrorCategory.ObjectNotFound, pattern));
                continue;
            }
            foreach (var u in matches) yield return u;
        }
    }
}
