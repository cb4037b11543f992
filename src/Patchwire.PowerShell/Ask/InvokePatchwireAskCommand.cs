using System.Management.Automation;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;
using Patchwire.PowerShell.Patch;
using Patchwire.PowerShell.Sync;

namespace Patchwire.PowerShell.Ask;

[Cmdlet(VerbsLifecycle.Invoke, "PatchwireAsk", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PatchwireAskResult))]
[Synopsis("Asks the team's Patchwire agent to change this project and returns the diff as an object; -Apply applies it.")]
[Description("Syncs the project's working tree to the agent (tracked and untracked, never ignored files), sends the prompt with POST /ask, shows progress (Syncing…, Queued — position N…, Asking Patchwire…) and returns a PatchwireAskResult: Diff, Files (Path, Status, LinesAdded, LinesRemoved), ExitCode, Duration, QueueWait, Stdout, Stderr, Baseline, Project. With -Apply the diff is applied to your working tree after ShouldProcess (-WhatIf, -Confirm): 'git apply --check' then 'git apply'; when your tree moved since the sync, a 3-way merge; never half applied. A diff that cannot be applied is saved to .patchwire/last.patch and a non-terminating error says what to do. An 'error' from the agent is a terminating error with its code. Ctrl+C cancels: the agent drops the request from its queue or stops the run. Settings come from the environment, patchwire.yml and $PW_HOME/env (see Get-PatchwireConfiguration).")]
[Example("Invoke-PatchwireAsk 'add a --verbose flag to the CLI'", "Syncs, asks and shows a summary of the changed files; nothing is applied.")]
[Example("$r = Invoke-PatchwireAsk 'fix the failing date test'; $r.Diff; $r | Invoke-PatchwirePatch", "Keeps the result, reads the diff, then applies it.")]
[Example("Invoke-PatchwireAsk 'rename Foo to Bar everywhere' -Apply -Confirm", "Asks and applies after confirmation.")]
[Example("'add docs to api.py', 'add tests for api.py' | Invoke-PatchwireAsk -Path ~/src/team-app", "Two asks in a row, prompts from the pipeline.")]
public sealed class InvokePatchwireAskCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "What the AI should do to the project.")]
    [ValidateNotNullOrEmpty]
    public string Prompt { get; set; } = "";

    [Parameter(HelpMessage = "The project folder (default: the current folder; patchwire.yml is looked for up to the git top level).")]
    [Alias("ProjectPath")]
    public string? Path { get; set; }

    [Parameter(HelpMessage = "Skip the sync: the agent runs on the checkout it already has (it must exist and be clean).")]
    public SwitchParameter NoSync { get; set; }

    [Parameter(HelpMessage = "Apply the returned diff to the working tree (asks for confirmation under -Confirm; -WhatIf shows what it would do).")]
    public SwitchParameter Apply { get; set; }

    [Parameter(HelpMessage = "With -Apply: apply only the files whose path matches one of these wildcard patterns.")]
    [SupportsWildcards]
    public string[]? Include { get; set; }

    protected override void ProcessRecord()
    {
        var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(string.IsNullOrEmpty(Path) ? "." : Path);
        var settings = UserSettings.Load(this, folder);

        var pump = new PipelinePump(this);
        const int activity = 0x5057;
        var activityName = $"Patchwire: {settings.Project}";
        PatchwireAskResult result;
        try
        {
            result = pump.Run(token => AskRunner.RunAsync(settings, Prompt, !NoSync,
                p => pump.Post(() => WriteProgress(new ProgressRecord(activity, activityName, p.Message))), token));
        }
        catch (AgentClientException ex) { ThrowTerminatingError(AskErrors.From(ex, settings, !NoSync)); return; }
        catch (AskFailedException ex) { ThrowTerminatingError(AskErrors.From(ex, settings.Project)); return; }
        catch (Exception ex) when (ex is SyncException or GitCommandException)
        {
            ThrowTerminatingError(SyncRunner.ToErrorRecord(ex, settings.Project));
            return;
        }
        finally
        {
            try { WriteProgress(new ProgressRecord(activity, activityName, "Done") { RecordType = ProgressRecordType.Completed }); }
            catch (PipelineStoppedException) { }
        }

        if (result.ExitCode != 0)
            WriteWarning($"The AI exited with code {result.ExitCode}; see the result's Stderr and Stdout.");
        if (!Apply || !result.HasChanges)
        {
            WriteObject(result);
            return;
        }
        ApplyStep.ApplyAndWrite(this, result, Include, files => $"Apply the diff ({files})", patch =>
        {
            if (result.ExitCode == 0) return false;
            result.SavedPatch = PatchApplier.Save(settings.ProjectRoot, patch);
            WriteWarning($"Not applied because the AI exited with code {result.ExitCode}; the diff is saved to {result.SavedPatch}. Review it, then run Invoke-PatchwirePatch.");
            return true;
        });
    }
}
