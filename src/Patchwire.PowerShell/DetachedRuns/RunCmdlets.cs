using System.Management.Automation;
using System.Net;
using Patchwire.Core.Protocol;
using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Help;
using Patchwire.PowerShell.Sync;

namespace Patchwire.PowerShell.DetachedRuns;

/// <summary>What the run cmdlets share: settings of the project folder, the async pump, and the agent's errors as records.</summary>
public abstract class PatchwireRunCmdlet : PatchwireCmdlet
{
    [Parameter(HelpMessage = "The project folder (default: the current folder); gives the agent settings and the folder results apply to.")]
    [Alias("ProjectPath")]
    public string? Path { get; set; }

    internal ClientSettings LoadSettings() =>
        UserSettings.Load(this, SessionState.Path.GetUnresolvedProviderPathFromPSPath(string.IsNullOrEmpty(Path) ? "." : Path));

    /// <summary>Runs agent work; a refusal becomes an error record (terminating or not), returning default.</summary>
    internal T? Call<T>(ClientSettings settings, string? id, Func<AsyncBridge, CancellationToken, Task<T>> work, bool terminating = true)
    {
        try
        {
            return Bridge.Run(token => work(Bridge, token));
        }
        catch (AgentClientException ex)
        {
            var record = ex.Status switch
            {
                HttpStatusCode.NotFound when id is not null => Errors.Make($"No run '{id}' of yours on the agent at {settings.AgentUrl} (it never existed, belongs to someone else, or is older than PW_RUN_RETENTION_HOURS).", "Run.NotFound", ErrorCategory.ObjectNotFound, id, ex),
                HttpStatusCode.BadRequest when id is not null && ex.ErrorCode == HttpErrors.InvalidRunId => Errors.Make($"'{id}' is not a run id (32 lowercase hex characters).", "Run.InvalidId", ErrorCategory.InvalidArgument, id, ex),
                HttpStatusCode.Conflict when id is not null => Errors.Make($"Run '{id}' has already finished; nothing to stop.", "Run.AlreadyFinished", ErrorCategory.InvalidOperation, id, ex),
                _ => ClientErrors.From(ex, settings.Project),
            };
            if (terminating) ThrowTerminatingError(record);
            else WriteError(record);
            return default;
        }
    }
}

[Cmdlet(VerbsLifecycle.Start, "PatchwireAsk", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PatchwireJob))]
[Synopsis("Starts an ask that runs on the agent without you and returns a PowerShell job: Get-Job, Wait-Job, Receive-Job, Stop-Job, from any session.")]
[Description("Syncs the project like Invoke-PatchwireAsk, then POST /runs: the agent queues and runs the prompt under the same caps, sandbox and audit as /ask, and keeps the result for PW_RUN_RETENTION_HOURS (default 72) even if you disconnect, close pwsh or the agent restarts after it finished. Returns a PatchwireJob (PSJobTypeName PatchwireJob, named Patchwire-<first 8 characters of the run id>; RunId, Project and Run, the run as last seen). Receive-Job yields the run's result, the same object Invoke-PatchwireAsk returns (ready for Invoke-PatchwirePatch); a failed run is an error, a cancelled one a Stopped job; Stop-Job cancels the run on the agent. A new session finds your runs again with Get-Job once the module is imported (it asks the agent of the current folder's settings, GET /runs); Remove-Job forgets a job in this session only. Get-PatchwireRun, Wait-PatchwireRun and Stop-PatchwireRun take the job too, for scripts that prefer plain objects.")]
[Example("Start-PatchwireAsk 'add tests for the parser'", "Starts a detached run; the prompt is not kept on the agent, only its hash.")]
[Example("'fix lint', 'update docs', 'add tests' | Start-PatchwireAsk; Get-Job -Name 'Patchwire-*' | Wait-Job | Receive-Job | Select-Object -First 1 | Invoke-PatchwirePatch", "Starts three runs (from this or a new pwsh), waits for them and applies the first result.")]
[Example("'fix lint', 'update docs' | Start-PatchwireAsk | Wait-PatchwireRun | ForEach-Object Result | Invoke-PatchwirePatch -WhatIf", "The same with run objects: starts two runs, waits for both and shows what applying them would do.")]
public sealed class StartPatchwireAskCommand : PatchwireRunCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "What the AI should do to the project.")]
    [ValidateNotNullOrEmpty]
    public string Prompt { get; set; } = "";

    [Parameter(HelpMessage = "Skip the sync: the agent runs on the checkout it already has (it must exist and be clean).")]
    public SwitchParameter NoSync { get; set; }

    protected override void ProcessRecord()
    {
        var settings = LoadSettings();
        if (!ShouldProcess($"{settings.Project} on {settings.AgentUrl}", "Start a detached ask")) return;
        const int activity = 0x5058;
        try
        {
            var run = Call(settings, null, (pump, token) => DetachedRunApi.StartAsync(settings, Prompt, !NoSync,
                p => pump.Post(() => WriteProgress(new ProgressRecord(activity, $"Patchwire: {settings.Project}", p.Message))), token));
            if (run is not null) WriteObject(PatchwireJobSourceAdapter.Start(this, settings, run));
        }
        catch (Exception ex) when (ex is SyncException or GitCommandException)
        {
            ThrowTerminatingError(Errors.From(ex, settings.Project));
        }
        finally
        {
            try { WriteProgress(new ProgressRecord(activity, $"Patchwire: {settings.Project}", "Started") { RecordType = ProgressRecordType.Completed }); }
            catch (PipelineStoppedException) { }
        }
    }
}

[Cmdlet(VerbsCommon.Get, "PatchwireRun")]
[OutputType(typeof(PatchwireRun))]
[Synopsis("Gets your detached runs from the agent: one by id, or all that it still keeps.")]
[Description("GET /runs/{id} or GET /runs. A succeeded run carries Result, the same object Invoke-PatchwireAsk returns (ready for Invoke-PatchwirePatch). You only ever see your own runs; another user's id answers 'not found'.")]
[Example("Get-PatchwireRun", "Lists your runs, oldest first.")]
[Example("Get-PatchwireRun | Where-Object State -eq succeeded | Select-Object -Last 1 | ForEach-Object Result | Invoke-PatchwirePatch", "Applies the newest succeeded run.")]
public sealed class GetPatchwireRunCommand : PatchwireRunCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The run's id ('patchwire ask --detach' prints it), or the job Start-PatchwireAsk returned.")]
    [ValidateNotNullOrEmpty]
    [RunIdTransformation]
    public string[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        var settings = LoadSettings();
        if (Id is null)
        {
            WriteObject(Call(settings, null, (_, token) => DetachedRunApi.ListAsync(settings, token)), enumerateCollection: true);
            return;
        }
        foreach (var id in Id)
        {
            var run = Call(settings, id, (_, token) => DetachedRunApi.GetAsync(settings, id, token), terminating: false);
            if (run is not null) WriteObject(run);
        }
    }
}

[Cmdlet(VerbsLifecycle.Wait, "PatchwireRun")]
[OutputType(typeof(PatchwireRun))]
[Synopsis("Waits until detached runs finish and returns them with their results.")]
[Description("Asks the agent about each run every second until it is succeeded, failed or cancelled, and returns it (Result holds what Invoke-PatchwireAsk would have returned). A failed or cancelled run is also a non-terminating error. -Timeout gives up after that long (the run goes on). Ctrl+C stops waiting, not the run.")]
[Example("Wait-PatchwireRun -Id $run.Id", "Waits for one run.")]
[Example("Get-PatchwireRun | Wait-PatchwireRun -Timeout 00:10:00", "Waits up to ten minutes for each of your runs.")]
[Example("Start-PatchwireAsk 'migrate the tests to xunit' | Wait-PatchwireRun -Notify", "Starts a run and shows a desktop notification when it is done.")]
public sealed class WaitPatchwireRunCommand : PatchwireRunCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The run's id, or its job (Start-PatchwireAsk, Get-Job).")]
    [ValidateNotNullOrEmpty]
    [RunIdTransformation]
    public string[] Id { get; set; } = Array.Empty<string>();

    [Parameter(HelpMessage = "How long to wait for each run (a TimeSpan, or seconds); default: until it finishes.")]
    public TimeSpan? Timeout { get; set; }

    [Parameter(HelpMessage = "Show a desktop notification as each run finishes: BurntToast on Windows when installed, notify-send on Linux, osascript on macOS; else a line on the host. It names the project, state and files changed, never the prompt.")]
    public SwitchParameter Notify { get; set; }

    protected override void ProcessRecord()
    {
        var settings = LoadSettings();
        const int activity = 0x5059;
        foreach (var id in Id)
        {
            var run = Call(settings, id, (pump, token) => DetachedRunApi.WaitAsync(settings, id, Timeout,
                r => pump.Post(() => WriteProgress(new ProgressRecord(activity, $"Patchwire run {id}", r.State == RunStates.Queued && r.Position is { } p ? $"Queued — position {p}…" : "Running…"))), token), terminating: false);
            try { WriteProgress(new ProgressRecord(activity, $"Patchwire run {id}", "Done") { RecordType = ProgressRecordType.Completed }); }
            catch (PipelineStoppedException) { }
            if (run is null)
            {
                if (Timeout is not null)
                    WriteError(Errors.Make($"Run '{id}' did not finish within {Timeout}; it goes on on the agent (Wait-PatchwireRun again later).", "Run.Timeout", ErrorCategory.OperationTimeout, id));
                continue;
            }
            if (Notify) WriteVerbose($"Notified through {DesktopNotifier.Notify(this, run)}.");
            if (run.State != "succeeded")
                WriteError(Errors.Make($"Run '{id}' {run.State}: {run.Message}", "Run." + (run.ErrorCode ?? run.State), ErrorCategory.InvalidResult, run));
            WriteObject(run);
        }
    }
}

[Cmdlet(VerbsLifecycle.Stop, "PatchwireRun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PatchwireRun))]
[Synopsis("Cancels detached runs: a queued one leaves the queue, a running one is stopped and its checkout restored.")]
[Description("DELETE /runs/{id}. Returns the run, now cancelled. A run that already finished is a non-terminating error and is left as it is.")]
[Example("Stop-PatchwireRun -Id $run.Id", "Cancels one run.")]
[Example("Get-PatchwireRun | Where-Object State -eq queued | Stop-PatchwireRun -WhatIf", "Shows which waiting runs would be cancelled.")]
public sealed class StopPatchwireRunCommand : PatchwireRunCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The run's id, or its job (Start-PatchwireAsk, Get-Job).")]
    [ValidateNotNullOrEmpty]
    [RunIdTransformation]
    public string[] Id { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        var settings = LoadSettings();
        foreach (var id in Id)
        {
            if (!ShouldProcess($"run {id} on {settings.AgentUrl}", "Cancel")) continue;
            var run = Call(settings, id, (_, token) => DetachedRunApi.StopAsync(settings, id, token), terminating: false);
            if (run is not null) WriteObject(run);
        }
    }
}

/// <summary>Lets the run cmdlets take a PatchwireJob or PatchwireRun wherever a run id goes (-Id $job, Get-Job | Wait-PatchwireRun).</summary>
internal sealed class RunIdTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        static object One(object? item) => (item is PSObject ps ? ps.BaseObject : item) switch
        {
            PatchwireJob job => job.RunId,
            PatchwireRun run => run.Id,
            _ => item!,
        };
        var data = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return data is not string && data is System.Collections.IList list ? list.Cast<object?>().Select(One).ToArray() : One(inputData);
    }
}
