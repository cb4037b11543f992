using System.ComponentModel;
using System.Management.Automation;
using System.Net;
using Patchwire.PowerShell.Client;
using Patchwire.PowerShell.Common;

namespace Patchwire.PowerShell.DetachedRuns;

/// <summary>
/// A detached run as a PowerShell job (Get-Job, Wait-Job, Receive-Job, Stop-Job, Remove-Job). The run lives on the agent;
/// the job only follows it, so its InstanceId is the run id and any session finds it again through
/// <see cref="PatchwireJobSourceAdapter"/>. Receive-Job yields the run's result, the object Invoke-PatchwireAsk returns;
/// a failed run is an error record; a cancelled run a Stopped job.
/// </summary>
public sealed class PatchwireJob : Job2
{
    /// <summary>How long the job keeps trying an agent it cannot reach (a laptop changing networks) before it gives up.</summary>
    internal static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly CancellationTokenSource _following = new();
    private readonly ClientSettings _settings;
    private bool _started;
    private PatchwireRun _run;

    internal PatchwireJob(ClientSettings settings, PatchwireRun run)
        : base("ask " + run.Project, NameFor(run.Id), InstanceIdFor(run.Id))
    {
        _settings = settings;
        _run = run;
        PSJobTypeName = PatchwireJobSourceAdapter.JobTypeName;
        PSBeginTime = run.CreatedAt.LocalDateTime;
    }

    /// <summary>The job name: Patchwire- and the run id's first 8 characters (Get-Job -Name 'Patchwire-*').</summary>
    public static string NameFor(string runId) => "Patchwire-" + (runId.Length > 8 ? runId.Substring(0, 8) : runId);

    /// <summary>A run id is 32 hex characters, which is a Guid: the job has the same InstanceId in every session.</summary>
    internal static Guid InstanceIdFor(string runId) => Guid.TryParseExact(runId, "N", out var id) ? id : Guid.NewGuid();

    public string RunId => _run.Id;
    public string Project => _run.Project;
    /// <summary>The run as the agent last described it (State, Position, Files, Message...).</summary>
    public PatchwireRun Run => _run;
    public override string Location => _settings.AgentUrl;
    public override string StatusMessage => _run.State == "queued" && _run.Position is { } p ? $"queued ({p})" : _run.State;
    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0;

    /// <summary>Follows the run until it is final (the first call only).</summary>
    public override void StartJob()
    {
        lock (_gate)
        {
            if (_started) return;
            _started = true;
        }
        // A listing (GET /runs) leaves results out: a run known only from one is fetched by following it.
        if (_run.IsFinished && (_run.State != "succeeded" || _run.Result is not null))
        {
            Finish(_run);
            return;
        }
        SetJobState(JobState.Running);
        var token = _following.Token;
        Task.Run(() => FollowAsync(token));
    }

    private async Task FollowAsync(CancellationToken token)
    {
        var unreachableSince = (DateTime?)null;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var run = await DetachedRunApi.WaitAsync(_settings, RunId, null, r => _run = r, token).ConfigureAwait(false);
                if (run is not null) Finish(run);
                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested) { return; }
            catch (AgentClientException ex) when (ex.Status is null or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
            {
                unreachableSince ??= DateTime.UtcNow;
                if (DateTime.UtcNow - unreachableSince > GiveUpAfter)
                {
                    Fail($"Lost the agent at {_settings.AgentUrl} for {GiveUpAfter.TotalMinutes:0} minutes ({ex.Message}); the run goes on there: Get-PatchwireRun {RunId}, or Get-Job in a new session.", "Job.AgentUnreachable", ErrorCategory.ConnectionError, ex);
                    return;
                }
                try { await Task.Delay(RetryInterval, token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
            catch (Exception ex)
            {
                var message = ex is AgentClientException { Status: HttpStatusCode.NotFound }
                    ? $"The agent at {_settings.AgentUrl} no longer has run {RunId} (older than PW_RUN_RETENTION_HOURS, or the agent's state was reset)."
                    : $"Following run {RunId} on {_settings.AgentUrl} failed: {ex.Message}";
                Fail(message, "Job.FollowFailed", ErrorCategory.InvalidResult, ex);
                return;
            }
        }
    }

    /// <summary>Fills the job from a final run: its result as output, or its failure as an error; once.</summary>
    internal void Finish(PatchwireRun run)
    {
        lock (_gate)
        {
            _run = run;
            if (IsFinal(JobStateInfo.State)) return;
            PSEndTime = (run.FinishedAt ?? DateTimeOffset.Now).LocalDateTime;
            switch (run.State)
            {
                case "succeeded":
                    Output.Add(PSObject.AsPSObject(run.Result));
                    SetJobState(JobState.Completed);
                    break;
                case "cancelled":
                    SetJobState(JobState.Stopped);
                    break;
                default:
                    Error.Add(Errors.Make($"Run {run.Id} {run.State}: {run.Message}", "Run." + (run.ErrorCode ?? run.State), ErrorCategory.InvalidResult, run));
                    SetJobState(JobState.Failed);
                    break;
            }
        }
    }

    private void Fail(string message, string id, ErrorCategory category, Exception inner)
    {
        lock (_gate)
        {
            if (IsFinal(JobStateInfo.State)) return;
            Error.Add(Errors.Make(message, id, category, RunId, inner));
            SetJobState(JobState.Failed);
        }
    }

    /// <summary>Stop-Job: cancels the run on the agent (a queued run leaves the queue, a running one is stopped and restored).</summary>
    public override void StopJob() => StopJob(false, "Stop-Job");

    public override void StopJob(bool force, string reason)
    {
        if (IsFinal(JobStateInfo.State)) return;
        SetJobState(JobState.Stopping);
        try
        {
            Finish(DetachedRunApi.StopAsync(_settings, RunId, CancellationToken.None).GetAwaiter().GetResult());
        }
        catch (AgentClientException ex) when (ex.Status == HttpStatusCode.Conflict)
        {
            // It finished meanwhile: the job takes its real end.
            try { Finish(DetachedRunApi.GetAsync(_settings, RunId, CancellationToken.None).GetAwaiter().GetResult()); }
            catch (AgentClientException inner) { Fail(inner.Message, "Job.StopFailed", ErrorCategory.InvalidOperation, inner); }
        }
        catch (AgentClientException ex)
        {
            // The job does not know whether the run stopped: say so instead of pretending it did.
            Fail($"Could not cancel run {RunId} on {_settings.AgentUrl}: {ex.Message}", "Job.StopFailed", ErrorCategory.ConnectionError, ex);
        }
        _following.Cancel();
        if (!IsFinal(JobStateInfo.State)) SetJobState(JobState.Stopped);
    }

    public override void StartJobAsync() => Async(StartJob, OnStartJobCompleted);
    public override void StopJobAsync() => Async(StopJob, OnStopJobCompleted);
    public override void StopJobAsync(bool force, string reason) => Async(() => StopJob(force, reason), OnStopJobCompleted);

    public override void SuspendJob() => throw Unsupported("suspended");
    public override void SuspendJob(bool force, string reason) => throw Unsupported("suspended");
    public override void SuspendJobAsync() => throw Unsupported("suspended");
    public override void SuspendJobAsync(bool force, string reason) => throw Unsupported("suspended");
    public override void ResumeJob() => throw Unsupported("resumed");
    public override void ResumeJobAsync() => throw Unsupported("resumed");
    public override void UnblockJob() => throw Unsupported("unblocked");
    public override void UnblockJobAsync() => throw Unsupported("unblocked");

    /// <summary>Stops following the run (the run itself goes on on the agent).</summary>
    internal void StopFollowing() => _following.Cancel();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _following.Cancel();
        base.Dispose(disposing);
    }

    private static bool IsFinal(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Stopped;

    private static NotSupportedException Unsupported(string what) =>
        new($"A Patchwire job cannot be {what}: the run goes on on the agent; Stop-Job cancels it.");

    private static void Async(Action action, Action<AsyncCompletedEventArgs> completed) =>
        Task.Run(() =>
        {
            Exception? error = null;
            try { action(); }
            catch (Exception ex) { error = ex; }
            completed(new AsyncCompletedEventArgs(error, false, null));
        });
}
