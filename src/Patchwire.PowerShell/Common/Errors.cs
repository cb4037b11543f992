using System.Management.Automation;
using Patchwire.Core.Identity;

namespace Patchwire.PowerShell.Common;

internal static class Errors
{
    public static ErrorRecord From(RegistryException ex, object? target)
    {
        var category = ex.Kind switch
        {
            RegistryErrorKind.InvalidName => ErrorCategory.InvalidArgument,
            RegistryErrorKind.InvalidToken => ErrorCategory.InvalidArgument,
            RegistryErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
            RegistryErrorKind.NotFound => ErrorCategory.ObjectNotFound,
            RegistryErrorKind.CorruptFile => ErrorCategory.InvalidData,
            RegistryErrorKind.LockTimeout => ErrorCategory.ResourceBusy,
            RegistryErrorKind.InvalidPolicy => ErrorCategory.InvalidArgument,
            _ => ErrorCategory.NotSpecified,
        };
        return new ErrorRecord(ex, "Patchwire.Registry." + ex.Kind, category, target);
    }

    public static ErrorRecord Make(string message, string id, ErrorCategory category, object? target = null, Exception? inner = null) =>
        new(new InvalidOperationException(message, inner), "Patchwire." + id, category, target);
}
