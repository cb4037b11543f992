using System.Management.Automation;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Users;

public abstract class UserCmdletBase : PSCmdlet
{
    internal UserRegistry Registry => ModuleEnvironment.Registry();

    /// <summary>Runs a registry call, turning its failures into ErrorRecords (non-terminating so a pipeline goes on).</summary>
    internal T? Try<T>(Func<T> action, object? target) where T : class
    {
        try { return action(); }
        catch (RegistryException ex) when (ex.Kind != RegistryErrorKind.CorruptFile && ex.Kind != RegistryErrorKind.LockTimeout)
        {
            WriteError(Errors.From(ex, target));
            return null;
        }
        catch (RegistryException ex)
        {
            ThrowTerminatingError(Errors.From(ex, target));
            return null;
        }
    }

    /// <summary>
    /// Checked before ShouldProcess: a name that does not exist is "No user named …" at once, not a confirmation
    /// prompt for nothing (which under -NonInteractive is PowerShell's generic prompt error).
    /// </summary>
    internal bool Exists(string name)
    {
        var found = Try(() => Registry.Find(name), name);
        if (found is not null) return true;
        if (Core.Identity.NameRules.Check(name, "user name") is null)
            WriteError(Errors.From(new RegistryException(RegistryErrorKind.NotFound, $"No user named '{name}'. Get-PatchwireUser lists the users."), name));
        else
            return true; // an invalid name: the registry call below gives the precise error
        return false;
    }
}
