namespace Patchwire.PowerShell.Client;

/// <summary>Everything the laptop side needs to talk to the agent about one project.</summary>
public sealed class ClientSettings
{
    public string AgentUrl { get; set; } = ClientSettingsLoader.DefaultAgentUrl;
    public string? Token { get; set; }
    public string? User { get; set; }
    /// <summary>The project name on the agent (patchwire.yml 'project', else the folder name).</summary>
    public string Project { get; set; } = "";
    /// <summary>The local project folder (where patchwire.yml is, else the git top level, else the current folder).</summary>
    public string ProjectRoot { get; set; } = "";
    /// <summary>sync.exclude patterns (gitignore syntax).</summary>
    public IReadOnlyList<string> Excludes { get; set; } = Array.Empty<string>();
    /// <summary>sync.fsmonitor: use git's builtin file-system monitor for the sync's private index (macOS and Windows only).</summary>
    public bool SyncFsmonitor { get; set; }
    /// <summary>The laptop's PW_HOME (sync state lives in its sync/ folder); null: read from the environment when needed.</summary>
    public string? Home { get; set; }
    /// <summary>The patchwire.yml that was read, or null when the project has none.</summary>
    public string? ConfigFile { get; set; }
    /// <summary>The $PW_HOME/env file consulted (it may not exist).</summary>
    public string EnvFile { get; set; } = "";
    /// <summary>Where each of AgentUrl, Token, User and Project came from: "environment", "patchwire.yml", "env file", "default", "folder name".</summary>
    public IDictionary<string, string> Sources { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
