using System.Management.Automation;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;

namespace Patchwire.PowerShell.Sync;

[Cmdlet(VerbsData.Sync, "PatchwireProject")]
[OutputType(typeof(SyncResult))]
[Synopsis("Sends the project's working tree to the agent, so asks start from exactly what is on this laptop.")]
[Description("Snapshots the working tree as a git commit without touching your branch, index, stash or reflog: tracked files plus untracked files that .gitignore does not exclude, minus sync.exclude from patchwire.yml. .git/ and .patchwire/ never leave, nor do ignored secrets such as .env. Only what the agent lacks is sent, as a git bundle over the same authenticated HTTP as everything else; the agent checks the snapshot out into your own checkout and answers with its commit id (Baseline). A sync with nothing changed costs one small round trip. A folder that is not a git repository works too: its snapshots live in a private repository under $PW_HOME/sync.")]
[Example("Sync-PatchwireProject", "Syncs the project in the current folder and shows the baseline, the bytes sent and the time taken.")]
[Example("Sync-PatchwireProject -Path ~/src/shop -Project shop-api", "Syncs another folder under a different project name.")]
[Example("Get-ChildItem ~/src -Directory | Sync-PatchwireProject", "Syncs every project folder under ~/src.")]
[Example("(Sync-PatchwireProject).Baseline", "Prints the commit id the agent now holds, to pass to the API as 'baseline'.")]
public sealed class SyncPatchwireProjectCommand : PatchwireCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The project folder to sync. Defaults to the current folder.")]
    [Alias("FullName", "PSPath")]
    public string? Path { get; set; }

    [Parameter(HelpMessage = "The project name on the agent. Defaults to patchwire.yml's 'project', else the folder name.")]
    [ValidatePattern(@"^[A-Za-z0-9_.-]+$")]
    [ValidateLength(1, 64)]
    [ArgumentCompleter(typeof(Completion.ProjectNameCompleter))]
    public string? Project { get; set; }

    protected override void ProcessRecord()
    {
        var folder = string.IsNullOrEmpty(Path)
            ? SessionState.Path.CurrentFileSystemLocation.ProviderPath
            : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!Directory.Exists(folder))
        {
            ThrowTerminatingError(new ErrorRecord(new DirectoryNotFoundException($"The folder '{folder}' does not exist. Give the project folder with -Path."),
                "Patchwire.Sync.FolderNotFound", ErrorCategory.ObjectNotFound, folder));
            return;
        }
        var settings = UserSettings.Load(this, folder);
        if (!string.IsNullOrEmpty(Project)) settings.Project = Project!;
        const int activity = 7301;
        WriteVerbose($"Syncing {settings.ProjectRoot} as '{settings.Project}' to {settings.AgentUrl}.");
        try
        {
            var result = Bridge.Run(token => ProjectSync.SyncAsync(settings, Bridge.Reporter<string>(message =>
            {
                WriteVerbose(message);
                WriteProgress(new ProgressRecord(activity, $"Syncing {settings.Project}", message));
            }), token));
            WriteProgress(new ProgressRecord(activity, $"Syncing {settings.Project}", "Done") { RecordType = ProgressRecordType.Completed });
            WriteObject(result);
        }
        catch (Exception ex) when (ex is PatchwireException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, folder));
        }
    }
}
