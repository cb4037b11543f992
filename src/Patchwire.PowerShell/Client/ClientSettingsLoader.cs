using Patchwire.Core.Configuration;
using Patchwire.Core.Identity;

namespace Patchwire.PowerShell.Client;

/// <summary>
/// Resolves <see cref="ClientSettings"/> for a folder. Each setting comes from the first of: an environment
/// variable (PW_AGENT_URL, PW_TOKEN, PW_USER), the project's patchwire.yml, $PW_HOME/env, a default.
/// patchwire.yml is looked for in the folder and its parents up to the git top level; the project root is
/// the folder holding it, else the git top level, else the folder itself; without it the project is the
/// root folder's name. ${VAR} in patchwire.yml resolves from the environment, then $PW_HOME/env.
/// </summary>
public static class ClientSettingsLoader
{
    public const string DefaultAgentUrl = "http://127.0.0.1:7878";
    public const string Environment = "environment";
    public const string YamlSource = "patchwire.yml";
    public const string EnvFileSource = "env file";
    public const string DefaultSource = "default";
    public const string FolderSource = "folder name";

    /// <exception cref="ClientConfigurationException">patchwire.yml is invalid, or no valid project name can be derived.</exception>
    public static ClientSettings Load(string workingDirectory)
    {
        var home = PatchwireHome.FromEnvironment();
        Dictionary<string, string> file;
        try { file = EnvFile.Read(home.EnvFile); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ClientConfigurationException($"Cannot read {home.EnvFile}: {ex.Message}", home.EnvFile, null, ex);
        }
        string? FromEnvironment(string name) => System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        string? FromFile(string name) => file.TryGetValue(name, out var f) && f.Length > 0 ? f : null;

        var start = Path.GetFullPath(workingDirectory);
        if (!Directory.Exists(start))
            throw new ClientConfigurationException($"The folder {start} does not exist.");
        var gitTop = FindGitTopLevel(start);
        var configPath = FindConfigFile(start, gitTop);
        var config = configPath is null ? null : ProjectConfigFile.Load(configPath, name => FromEnvironment(name) ?? FromFile(name));

        var root = configPath is not null ? Path.GetDirectoryName(configPath)! : gitTop ?? start;
        var settings = new ClientSettings { ProjectRoot = root, ConfigFile = configPath, EnvFile = home.EnvFile, Excludes = config?.Excludes ?? Array.Empty<string>(), SyncFsmonitor = config?.SyncFsmonitor ?? false, Home = home.Home };

        string? Pick(string key, string variable, string? fromYaml)
        {
            if (FromEnvironment(variable) is { } e) { settings.Sources[key] = Environment; return e; }
            if (!string.IsNullOrEmpty(fromYaml)) { settings.Sources[key] = YamlSource; return fromYaml; }
            if (FromFile(variable) is { } f) { settings.Sources[key] = EnvFileSource; return f; }
            return null;
        }

        var url = Pick(nameof(ClientSettings.AgentUrl), "PW_AGENT_URL", config?.AgentUrl);
        if (url is null) settings.Sources[nameof(ClientSettings.AgentUrl)] = DefaultSource;
        settings.AgentUrl = (url ?? DefaultAgentUrl).Trim().TrimEnd('/');
        settings.Token = Pick(nameof(ClientSettings.Token), "PW_TOKEN", config?.Token)?.Trim();
        settings.User = Pick(nameof(ClientSettings.User), "PW_USER", null);

        if (!string.IsNullOrEmpty(config?.Project))
        {
            settings.Project = config!.Project!;
            settings.Sources[nameof(ClientSettings.Project)] = YamlSource;
        }
        else
        {
            settings.Project = Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
            settings.Sources[nameof(ClientSettings.Project)] = FolderSource;
            if (NameRules.Check(settings.Project, "folder name") is { } problem)
                throw new ClientConfigurationException(
                    $"{problem} The project name comes from the folder {root}; give it a valid name with a {ProjectConfigFile.FileName} there containing 'project: my-project'.");
        }
        return settings;
    }

    /// <summary>The folder holding .git (a folder, or a file for worktrees and submodules) at or above <paramref name="folder"/>.</summary>
    public static string? FindGitTopLevel(string folder)
    {
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
        {
            var git = Path.Combine(dir.FullName, ".git");
            if (Directory.Exists(git) || File.Exists(git)) return dir.FullName;
        }
        return null;
    }

    private static string? FindConfigFile(string start, string? gitTop)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ProjectConfigFile.FileName);
            if (File.Exists(candidate)) return candidate;
            if (gitTop is null || string.Equals(dir.FullName.TrimEnd(Path.DirectorySeparatorChar), gitTop.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
                return null;
        }
        return null;
    }
}
