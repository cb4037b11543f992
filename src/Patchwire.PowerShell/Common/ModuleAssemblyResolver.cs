using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Patchwire.PowerShell.Common;

/// <summary>
/// Windows PowerShell 5.1 runs on .NET Framework, which has no binding redirects for a module's dependencies
/// (System.Text.Json asks for System.Memory 4.0.1.2, which asks for Unsafe 4.0.4.1, while the module folder holds
/// newer builds). On .NET Framework only, a request for an assembly that the module folder holds is answered with
/// that copy, whatever version was asked for. pwsh 7 resolves these through its own runtime and is left alone.
/// </summary>
public sealed class ModuleAssemblyResolver : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly bool OnNetFramework =
        RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.OrdinalIgnoreCase);

    public void OnImport()
    {
        if (OnNetFramework) AppDomain.CurrentDomain.AssemblyResolve += Resolve;
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        if (OnNetFramework) AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
    }

    private static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        var name = new AssemblyName(args.Name).Name;
        if (string.IsNullOrEmpty(name)) return null;
        var candidate = Path.Combine(ModuleEnvironment.ModuleDirectory, name + ".dll");
        return File.Exists(candidate) ? Assembly.LoadFrom(candidate) : null;
    }
}
