namespace Patchwire.Tests.Infrastructure;

public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Debug or Release, whichever this test assembly was built in; the agent was built alongside it.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Debug/") ? "Debug" : "Release";

    public static string AgentDll => Path.Combine(RepoRoot, "src", "Agent", "bin", Configuration, "net10.0", "patchwire-agent.dll");

    /// <summary>The module assembly as the test project copied it (formats under Formats/ beside it).</summary>
    public static string ModuleDll => Path.Combine(AppContext.BaseDirectory, "Patchwire.PowerShell.dll");

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Patchwire.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Patchwire.sln not found above " + AppContext.BaseDirectory);
    }
}
