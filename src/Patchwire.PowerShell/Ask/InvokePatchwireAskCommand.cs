using System.Management.Automation;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.Ask;

[Cmdlet(VerbsLifecycle.Invoke, "PatchwireAsk", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PatchwireAskResult))]
[OutputType(typeof(DetachedRuns.PatchwireJob))]
[Synopsis("Asks the team's Patchwire agent to change this project and returns the diff as an object; -Apply applies it.")]
[Description("Syncs the project's working tree to the agent (tracked and untracked, never ignored files), sends the prompt with POST /ask, shows progress (Syncing…, Queued — position N…, Asking Patchwire…) and returns a PatchwireAskResult: Diff, Files (Path, Status, LinesAdded, LinesRemoved), ExitCode, Duration, QueueWait, Stdout, Stderr, Baseline, Project. The result's Reply is the AI's answer in words (its standard output). With -Apply the diff is applied to your working tree after ShouldProcess (-Confirm): 'git apply --check' then 'git apply'; when your tree moved since the sync, a 3-way merge; never half applied. A run is never lost: when the diff is not applied (declined, -Confirm without a terminal, a conflict, the AI exited non-zero, Ctrl+C at the prompt) it is saved to .patchwire/patches/<time>-<run id>.patch (the newest 20 kept; .patchwire/last.patch is a copy of the newest), SavedPatch says where, and the result is still returned. -WhatIf sends nothing: it only says what the ask would do. -Verbose shows each step (sync, queue, run, apply). An 'error' from the agent is a terminating error with its code. Ctrl+C cancels: the agent drops the request from its queue or stops the run. Settings come from the environment, patchwire.yml and $PW_HOME/env (see Get-PatchwireConfiguration).")]
[Example("Invoke-PatchwireAsk 'add a --verbose flag to the CLI'", "Syncs, asks and shows a summary of the changed files; nothing is applied.")]
[Example("$r = Invoke-PatchwireAsk 'fix the failing date test'; $r.Diff; $r | Invoke-PatchwirePatch", "Keeps the result, reads the diff, then applies it.")]
[Example("Invoke-PatchwireAsk 'rename Foo to Bar everywhere' -Apply -Confirm", "Asks and applies after confirmation.")]
[Example("'add docs to api.py', 'add tests for api.py' | Invoke-PatchwireAsk -Path ~/src/team-app", "Two asks in a row, prompts from the pipeline.")]
[Example("$job = Invoke-PatchwireAsk 'upgrade the test framework' -AsJob; $job | Wait-Job | Receive-Job | Invoke-PatchwirePatch", "Runs detached on the agent as a PowerShell job (see Start-PatchwireAsk), then applies the result.")]
public sealed class InvokePatchwireAskCommand : PatchwireCmdlet
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

    [Parameter(HelpMessage = "Run detached on the agent and return a PowerShell job at once (as Start-PatchwireAsk does); Receive-Job yields this cmdlet's result object. Not with -Apply: apply later with Receive-Job | Invoke-PatchwirePatch.")]
    public SwitchParameter AsJob { get; set; }

    protected override void ProcessRecord()
    {
        var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(string.IsNullOrEmpty(Path) ? "." : Path);
        var settings = UserSettings.Load(this, folder);

        // -WhatIf: the ask itself changes the agent (sync, a run, an audit line), so nothing is sent at all.
        if (WhatIfRequested())
        {
            ShouldProcess(settings.ProjectRoot, $"Sync '{settings.Project}' to {settings.AgentUrl}, run the AI on it{(AsJob ? " as a job" : Apply ? " and apply the returned diff" : "")}");
            return;
        }
        if (AsJob)
        {
            StartJob(settings);
            return;
        }

        const int activity = 0x5057;
        var activityName = $"Patchwire: {settings.Project}";
        var status = "Starting…";
        string? lastStage = null;
        PatchwireAskResult result;
        WriteVerbose($"Project '{settings.Project}' at {settings.ProjectRoot}; agent {settings.AgentUrl}.");
        try
        {
            result = Bridge.Run(token => AskRunner.RunAsync(settings, Prompt, !NoSync, p => Bridge.Post(() =>
                {
                    WriteVerbose(p.Message);
                    lastStage = p.Stage;
                    status = p.Message;
                    WriteProgress(new ProgressRecord(activity, activityName, status));
                }), token),
                // The console host draws progress at most every 200 ms and drops what comes in between; re-writing the
                // current status while waiting (queued, or the AI working) keeps the screen true.
                onIdle: () => { if (lastStage is not null) WriteProgress(new ProgressRecord(activity, activityName, status)); });
        }
        catch (Exception ex) when (ex is PatchwireException)
        {
            ThrowTerminatingError(Errors.From(AskErrors.Reword(ex, settings, !NoSync), settings.Project));
            return;
        }
        finally
        {
            try { WriteProgress(new ProgressRecord(activity, activityName, "Done") { RecordType = ProgressRecordType.Completed }); }
            catch (PipelineStoppedException) { }
        }

        WriteVerbose($"The AI exited with code {result.ExitCode} after {result.Duration.TotalSeconds:0.0} s ({result.Files.Length} files changed, {result.QueueWait.TotalSeconds:0.0} s in the queue).");
        if (result.ExitCode != 0)
            WriteWarning($"The AI exited with code {result.ExitCode}; see the result's Stderr and Stdout.");
        if (!Apply || !result.HasChanges)
        {
            WriteObject(result);
            return;
        }
        ApplyStep.ApplyAndWrite(this, result, Include, files => $"Apply the diff ({files})",
            holdBack: result.ExitCode == 0 ? null : $"Not applied because the AI exited with code {result.ExitCode}");
    }

    /// <summary>-AsJob: sync, POST /runs, and a PatchwireJob whose Receive-Job yields the result this cmdlet would have returned.</summary>
    private void StartJob(ClientSettings settings)
    {
        if (Apply)
            ThrowTerminatingError(Errors.Make("-AsJob returns before the result exists, so it cannot be applied yet: Receive-Job $job | Invoke-PatchwirePatch applies it later.", "Ask.AsJobWithApply", ErrorCategory.InvalidArgument, settings.Project));
        DetachedRuns.PatchwireRun run;
        try
        {
            run = Bridge.Run(token => DetachedRuns.DetachedRunApi.StartAsync(settings, Prompt, !NoSync, p => Bridge.Post(() => WriteVerbose(p.Message)), token));
        }
        catch (Exception ex) when (ex is PatchwireException)
        {
            ThrowTerminatingError(Errors.From(AskErrors.Reword(ex, settings, !NoSync), settings.Project));
            return;
        }
        WriteObject(DetachedRuns.PatchwireJobSourceAdapter.Start(this, settings, run));
    }

    private bool WhatIfRequested() =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? w is SwitchParameter { IsPresent: true } || w is true
        : GetVariableValue("WhatIfPreference") is true or SwitchParameter { IsPresent: true };
}
