using System.Management.Automation;
using Patchwire.Core.Identity;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Users;

public abstract class UserCmdletBase : PSCmdlet
{
    internal const string TokenTypeName = "Patchwire.PowerShell.Users.PatchwireUser#WithToken";

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

    internal void WriteUserWithToken(PatchwireUser user)
    {
        var wrapped = PSObject.AsPSObject(user);
        wrapped.TypeNames.Insert(0, TokenTypeName);
        WriteObject(wrapped);
    }
}
