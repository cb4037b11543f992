namespace Patchwire.PowerShell.Setup;

/// <summary>The laptop's settings as resolved for one folder (the token masked), with where each came from.</summary>
public sealed class PatchwireConfiguration
{
    public string AgentUrl { get; set; } = "";
    public string? User { get; set; }
    /// <summary>The token, masked (pw_b9f…1a2b); the full token is never put on an output object.</summary>
    public string? Token { get; set; }
    public string? Project { get; set; }
    public string? ProjectRoot { get; set; }
    public string? ConfigFile { get; set; }
    public string EnvFile { get; set; } = "";
    /// <summary>Setup only: whether the agent confirmed the token.</summary>
    public string? TokenCheck { get; set; }
    public string? AgentUrlSource { get; set; }
    public string? TokenSource { get; set; }
    public string? UserSource { get; set; }
    public string? ProjectSource { get; set; }
    public string[] Excludes { get; set; } = Array.Empty<string>();
}
