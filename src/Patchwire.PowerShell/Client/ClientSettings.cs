namespace Patchwire.PowerShell.Client;

/// <summary>Everything the laptop side needs to talk to the agent about one project.</summary>
public sealed class ClientSettings
{
    public string AgentUrl { get; set; } = "http://127.0.0.1:7878";
    public string? Token { get; set; }
    public string? User { get; set; }
    /// <summary>The project name on the agent (patchwire.yml 'project', else the folder name).</summary>
    public string Project { get; set; } = "";
    /// <summary>The local project folder (where patchwire.yml is, else the git top level, else the current folder).</summary>
    public string ProjectRoot { get; set; } = "";
    /// <summary>sync.exclude patterns (gitignore syntax).</summary>
    public IReadOnlyList<string> Excludes { get; set; } = Array.Empty<string>();
}
