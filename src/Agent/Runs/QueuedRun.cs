using Patchwire.Core.Audit;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.Runs;

/// <summary>
/// One run that waits in the fair queue and streams its progress: the parts in which /ask and a /chat turn differ.
/// The order of things, the same for both, is <see cref="QueuedRunFlow"/>'s.
/// </summary>
public abstract class QueuedRun(string user, string project, string prompt, RunTarget target)
{
    public string User { get; } = user;
    public string Project { get; } = project;
    public string Prompt { get; } = prompt;
    public RunTarget Target { get; } = target;

    /// <summary>"/ask" or "/chat": the audit line's route, and the agent's log line when the run fails unexpectedly.</summary>
    public abstract string Route { get; }

    /// <summary>After the accepted event, before the AI starts.</summary>
    public virtual Task OnAcceptedAsync(HttpContext context) => Task.CompletedTask;

    /// <summary>Runs the AI in a run folder of its own (or the checkout, PW_RUN_WORKTREES=off); the executor cleans up on every path.</summary>
    /// <exception cref="RunFailure">The run ended in an error.</exception>
    public virtual Task<RunResult> ExecuteAsync(RunExecutor executor, HttpContext context, CancellationToken cancellationToken) =>
        executor.ExecuteInOwnFolderAsync(Target.Checkout, Target.Baseline, Prompt, Target.VerifyClean, cancellationToken);

    /// <summary>
    /// The AI ran to the end: writes the closing events and returns the audit line's route-specific fields (the flow
    /// fills user, project, route, prompt hash and queue wait), or null when the run still failed and is not audited.
    /// </summary>
    public abstract Task<AuditEntry?> OnFinishedAsync(RunResult result, HttpContext context);

    /// <summary>The run stopped before it finished: writes its error event (none when the client is gone).</summary>
    public abstract Task OnStoppedAsync(RunStop stop, HttpContext context);

    /// <summary>Called once, last, when the stream is over, whatever happened.</summary>
    public virtual void OnClosed()
    {
    }

    /// <summary>The per-file changes of a result as the protocol carries them.</summary>
    protected static List<FileChangeInfo> ChangesOf(RunResult result) =>
        result.Diff.Changes.Select(c => new FileChangeInfo
        {
            Path = c.Path, Status = c.Status, Additions = c.Additions, Deletions = c.Deletions, OldPath = c.OldPath,
        }).ToList();
}

public enum RunStopReason
{
    /// <summary>The run ended in an error (<see cref="RunStop.Failure"/>): timeout, AI not startable, diff or restore failed.</summary>
    Failed,
    /// <summary>The client closed the request; nothing more can be written.</summary>
    ClientGone,
    /// <summary>The agent is shutting down.</summary>
    AgentStopping,
    /// <summary>An unexpected exception; the agent's log has it.</summary>
    InternalError,
}

/// <summary>Why a queued run stopped before it finished.</summary>
public sealed record RunStop(RunStopReason Reason, RunFailure? Failure = null);
