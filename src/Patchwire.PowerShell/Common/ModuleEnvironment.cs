using Patchwire.Core.Configuration;
using Patchwire.Core.Identity;

namespace Patchwire.PowerShell.Common;

/// <summary>Paths of both sides' state, from PW_HOME and the per-file overrides, read afresh on every call.</summary>
internal static class ModuleEnvironment
{
    public static PatchwireHome Home => PatchwireHome.FromEnvironment();
    public static UserRegistry Registry(string? usersFile = null) =>
        new(string.IsNullOrEmpty(usersFile) ? Home.UsersFile() : usersFile!);
    public static string ModuleDirectory => Path.GetDirectoryName(typeof(ModuleEnvironment).Assembly.Location)!;
}
