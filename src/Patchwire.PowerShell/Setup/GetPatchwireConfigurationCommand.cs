using System.Management.Automation;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Setup;

[Cmdlet(VerbsCommon.Get, "PatchwireConfiguration")]
[OutputType(typeof(PatchwireConfiguration))]
[Synopsis("Shows the settings Patchwire would use in a project folder, and where each comes from.")]
[Description("Resolves the agent URL, token (masked), user and project for a folder the way Invoke-PatchwireAsk does: environment variables first, then the project's patchwire.yml (found in the folder or its parents up to the git top level), then $PW_HOME/env. An invalid patchwire.yml gives an error naming the file and line.")]
[Example("Get-PatchwireConfiguration", "Shows the settings for the current folder.")]
[Example("Get-PatchwireConfiguration -Path ~/src/team-app | Format-List *", "Shows every field, including where each setting came from.")]
public sealed class GetPatchwireConfigurationCommand : PSCmdlet
{
    [Parameter(Position = 0, HelpMessage = "The project folder (default: the current folder).")]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(string.IsNullOrEmpty(Path) ? "." : Path);
        try
        {
            WriteObject(From(ClientSettingsLoader.Load(folder)));
        }
        catch (ClientConfigurationException ex)
        {
            ThrowTerminatingError(ClientErrors.From(ex, folder));
        }
    }

    internal static PatchwireConfiguration From(ClientSettings s)
    {
        string? Source(string key) => s.Sources.TryGetValue(key, out var v) ? v : null;
        return new PatchwireConfiguration
        {
            AgentUrl = s.AgentUrl, User = s.User, Token = LaptopSetup.Mask(s.Token), Project = s.Project, ProjectRoot = s.ProjectRoot,
            ConfigFile = s.ConfigFile, EnvFile = s.EnvFile, Excludes = s.Excludes.ToArray(),
            AgentUrlSource = Source(nameof(ClientSettings.AgentUrl)), TokenSource = Source(nameof(ClientSettings.Token)),
            UserSource = Source(nameof(ClientSettings.User)), ProjectSource = Source(nameof(ClientSettings.Project)),
        };
    }
}
