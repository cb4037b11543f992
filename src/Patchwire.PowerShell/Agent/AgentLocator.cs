using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.Agent;

/// <summary>The agent ships inside the module folder (agent/patchwire-agent.dll) and runs on the dotnet host.</summary>
internal static class AgentLocator
{
    public static string AgentDll
    {
        get
        {
            var dll = Path.Combine(ModuleEnvironment.ModuleDirectory, "agent", "patchwire-agent.dll");
            if (!File.Exists(dll))
                throw new FileNotFoundException($"The agent is not in the module folder ({dll}). Rebuild with ./build.ps1 or reinstall the module.", dll);
            return dll;
        }
    }

    public static string DotnetHost
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
            if (!string.IsNullOrEmpty(root))
            {
                var candidate = Path.Combine(root!, Path.DirectorySeparatorChar == '\\' ? "dotnet.exe" : "dotnet");
                if (File.Exists(candidate)) return candidate;
            }
            return "dotnet";
        }
    }
}
