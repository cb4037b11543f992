using Patchwire.Core.Audit;

namespace Patchwire.PowerShell.Audit;

/// <summary>One audit log line as an object: a successful /ask or /chat turn.</summary>
public sealed class PatchwireAuditEntry
{
    /// <summary>When the turn was logged, in UTC.</summary>
    public DateTime Timestamp { get; set; }
    public string User { get; set; } = "";
    public string Project { get; set; } = "";
    /// <summary>"/ask" or "/chat".</summary>
    public string Route { get; set; } = "";
    public string PromptSha256 { get; set; } = "";
    /// <summary>/ask: how many files the diff changed.</summary>
    public int? Files { get; set; }
    public int? LinesAdded { get; set; }
    public int? LinesRemoved { get; set; }
    /// <summary>/ask: the AI command's exit code.</summary>
    public int? ExitCode { get; set; }
    /// <summary>/chat: the client's conversation id.</summary>
    public string? Uuid { get; set; }
    public long? TokensIn { get; set; }
    public long? TokensOut { get; set; }
    /// <summary>/ask: the model, what the run cost in USD and where that figure came from (see README, Usage and cost).</summary>
    public string? Model { get; set; }
    public double? CostUsd { get; set; }
    public string? CostSource { get; set; }
    /// <summary>/ask: set when the AI ran but the run failed after it, e.g. diff_failed (its changes were larger than PW_MAX_DIFF_BYTES).</summary>
    public string? Error { get; set; }
    /// <summary>Whether the agent's verify command (PW_VERIFY_CMD) passed; null when it did not run.</summary>
    public bool? VerifyPassed { get; set; }
    public TimeSpan Duration { get; set; }
    public TimeSpan QueueWait { get; set; }

    internal static PatchwireAuditEntry From(AuditEntry e) => new()
    {
        Timestamp = e.Timestamp.UtcDateTime,
        User = e.User,
        Project = e.Project,
        Route = e.Route,
        PromptSha256 = e.PromptSha256,
        Files = e.Files,
        LinesAdded = e.LinesAdded,
        LinesRemoved = e.LinesRemoved,
        ExitCode = e.ExitCode,
        Uuid = e.Uuid,
        TokensIn = e.TokensIn,
        TokensOut = e.TokensOut,
        Model = e.Model,
        CostUsd = e.CostUsd,
        CostSource = e.CostSource,
        Error = e.Error,
        VerifyPassed = e.VerifyPassed,
        Duration = TimeSpan.FromMilliseconds(e.DurationMs),
        QueueWait = TimeSpan.FromMilliseconds(e.QueueWaitMs),
    };

    /// <summary>What the turn did, in a few words: "3 files +10 -2 exit 0" or "1200 in / 340 out tokens".</summary>
    public string Outcome => AuditText.Outcome(this);

    public override string ToString() => $"{Timestamp:yyyy-MM-dd HH:mm:ss}Z {User} {Route} {Project}";
}
