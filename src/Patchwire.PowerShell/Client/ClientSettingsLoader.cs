using Patchwire.Core.Configuration;

namespace Patchwire.PowerShell.Client;

/// <summary>
/// Resolves <see cref="ClientSettings"/>: environment variables win, then patchwire.yml, then $PW_HOME/env.
/// (First version: environment and env file only; patchwire.yml support is part of the laptop-side issue.)
/// </summary>
public static class ClientSettingsLoader
{
    public static ClientSettings Load(string workingDirectory)
    {
        var home = PatchwireHome.FromEnvironment();
        var file = EnvFile.Read(home.EnvFile);
        string? Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : file.TryGetValue(name, out var f) ? f : null;
        var root = Path.GetFullPath(workingDirectory);
        return new ClientSettings
        {
            AgentUrl = (Get("PW_AGENT_URL") ?? "http://127.0.0.1:7878").TrimEnd('/'),
            Token = Get("PW_TOKEN"),
            User = Get("PW_USER"),
            ProjectRoot = root,
            Project = Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)),
        };
    }
}
