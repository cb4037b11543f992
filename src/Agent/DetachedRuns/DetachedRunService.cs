using System.Collections.Concurrent;
using System.Security.Claims;
using Patchwire.Agent.Identity;
using Patchwire.Agent.Runs;
using Patchwire.Core.Audit;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>
/// Starts detached runs and keeps the ones in progress. A detached run is an /ask run (<see cref="AskRun"/>) through the
/// one <see cref="QueuedRunFlow"/> (fair queue, caps, executor, sandbox, audit, usage), played against an in-process
/// request whose response body is the run's event log (<see cref="RunEventRecorder"/>) and whose "client went away"
/// is DELETE. So /ask and /runs never drift apart.
/// </summary>
public sealed class DetachedRunService(
    RunStore store,
    DetachedRunOptions options,
    QueuedRunFlow flow,
    RunNotifier notifier,
    IServiceScopeFactory scopes,
    ILogger<DetachedRunService> log) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<string, DetachedRun> _live = new(StringComparer.Ordinal);
    private Timer? _sweep;

    private readonly object _starting = new();

    /// <summary>
    /// Records the run and starts it; the prompt stays in memory (the store gets its hash). Null when the user already
    /// has <see cref="DetachedRunOptions.MaxInProgressPerUser"/> runs in progress.
    /// </summary>
    public RunRecord? Start(ClaimsPrincipal caller, AskRun ask)
    {
        lock (_starting)
        {
            if (_live.Values.Count(r => r.User == ask.User) >= options.MaxInProgressPerUser) return null;
            return StartCounted(caller, ask);
        }
    }

    private RunRecord StartCounted(ClaimsPrincipal caller, AskRun ask)
    {
        var record = new RunRecord
        {
            Id = Guid.NewGuid().ToString("N"),
            User = ask.User,
            Project = ask.Project,
            PromptSha256 = AuditEntry.HashPrompt(ask.Prompt),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var run = new DetachedRun(record, store);
        _live[record.Id] = run; // before the store has it: whoever finds it in the store finds it here too
        store.Insert(record);
        run.Completion = Task.Run(() => ExecuteAsync(run, caller, ask));
        return run.Snapshot();
    }

    public int MaxInProgressPerUser => options.MaxInProgressPerUser;

    public DetachedRun? Live(string user, string id) =>
        _live.TryGetValue(id, out var run) && run.User == user ? run : null;

    /// <summary>Cancels a queued or running run and waits (a while) for it to end; null when it is not in progress.</summary>
    public async Task<bool> CancelAsync(string user, string id)
    {
        if (Live(user, id) is not { } run) return false;
        run.RequestCancel();
        try { await run.Completion.WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (TimeoutException) { }
        return true;
    }

    /// <summary>Start-up, before the port opens: runs the agent was busy with when it died end as failed; old results go.</summary>
    public List<string> Recover()
    {
        store.Open();
        var lines = new List<string>();
        foreach (var run in store.Unfinished())
        {
            var message = run.State == RunStates.Running
                ? "The agent stopped while this run was running; its checkout was restored. Ask again."
                : "The agent restarted before this run started; ask again (prompts are never written to disk, so a queued run cannot resume).";
            DetachedRun.FailUnfinished(run, store, message);
            lines.Add($"detached run {run.Id} of {run.User}/{run.Project} was {run.State} when the agent stopped: marked failed");
        }
        Sweep();
        return lines;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var every = TimeSpan.FromTicks(Math.Clamp(options.Retention.Ticks / 4, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(10).Ticks));
        _sweep = new Timer(_ => Sweep(), null, every, every);
        return Task.CompletedTask;
    }

    /// <summary>Lets the runs in progress record how they ended (the /ask flow stops them with the application).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _sweep?.Dispose();
        try { await Task.WhenAll(_live.Values.Select(r => r.Completion)).WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { }
    }

    public void Dispose() => _sweep?.Dispose();

    private void Sweep()
    {
        try
        {
            var removed = store.DeleteFinishedBefore(DateTimeOffset.UtcNow - options.Retention);
            if (removed > 0) log.LogInformation("Removed {Count} detached run(s) older than PW_RUN_RETENTION_HOURS", removed);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Sweeping old detached runs failed");
        }
    }

    private async Task ExecuteAsync(DetachedRun run, ClaimsPrincipal caller, AskRun ask)
    {
        var status = StatusCodes.Status500InternalServerError;
        var recorder = new RunEventRecorder(run);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, RequestAborted = run.Cancellation.Token, User = caller };
            context.Request.Method = HttpMethods.Post;
            context.Request.Path = "/runs";
            context.Response.Body = recorder;
            await flow.RunAsync(context, ask);
            status = context.Response.StatusCode;
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Detached run {Id} of {User} failed", run.Id, run.User);
        }
        finally
        {
            try
            {
                run.Finish(status, recorder.Remainder);
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Recording the end of detached run {Id} failed", run.Id);
            }
            _live.TryRemove(run.Id, out _);
            run.Cancellation.Dispose();
            notifier.Finished(run.Snapshot());
        }
    }
}
