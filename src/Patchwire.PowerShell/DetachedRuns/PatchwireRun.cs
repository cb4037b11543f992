using Patchwire.PowerShell.Ask;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.DetachedRuns;

/// <summary>
/// A detached run on the agent (GET /runs/{id}). Once it succeeded, <see cref="Result"/> is the same object
/// Invoke-PatchwireAsk returns, so the run pipes straight into Invoke-PatchwirePatch.
/// </summary>
public sealed class PatchwireRun
{
    public string Id { get; set; } = "";
    public string User { get; set; } = "";
    public string Project { get; set; } = "";
    /// <summary>queued, running, succeeded, failed or cancelled.</summary>
    public string State { get; set; } = "";
    /// <summary>The place in the agent's queue when it entered it (queued runs only).</summary>
    public int? Position { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Why it failed or was cancelled.</summary>
    public string? Message { get; set; }
    /// <summary>The paths the run changed (once it succeeded).</summary>
    public string[] Files { get; set; } = Array.Empty<string>();
    public string PromptSha256 { get; set; } = "";
    public string AgentUrl { get; set; } = "";
    /// <summary>The result, as Invoke-PatchwireAsk returns it; null until the run succeeded.</summary>
    public PatchwireAskResult? Result { get; set; }
    /// <summary>The error event's code when the run failed (run_failed, internal, cancelled, agent_restarted...).</summary>
    public string? ErrorCode { get; set; }

    public bool IsFinished => State is "succeeded" or "failed" or "cancelled";
    public TimeSpan? Duration => FinishedAt is { } end ? end - (StartedAt ?? CreatedAt) : null;
    /// <summary>The diff of a succeeded run (empty otherwise), for Invoke-PatchwirePatch's -Patch-less input.</summary>
    public string Diff => Result?.Diff ?? "";
}
