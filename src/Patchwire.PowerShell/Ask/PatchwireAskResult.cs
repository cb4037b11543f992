using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.Ask;

/// <summary>What one ask returned: the diff and its files, the AI's exit code, reply and output, and the timings.</summary>
public sealed class PatchwireAskResult : IPatchwireChanges
{
    public string Project { get; set; } = "";
    /// <summary>The local folder the diff applies to.</summary>
    public string ProjectRoot { get; set; } = "";
    /// <summary>The synced snapshot the run started from (null with -NoSync).</summary>
    public string? Baseline { get; set; }
    public string Diff { get; set; } = "";
    public PatchwireFileChange[] Files { get; set; } = Array.Empty<PatchwireFileChange>();
    public int ExitCode { get; set; }
    /// <summary>The AI run's own time on the agent.</summary>
    public TimeSpan Duration { get; set; }
    public TimeSpan QueueWait { get; set; }
    /// <summary>Syncing, waiting, running and transferring, as seen from the laptop.</summary>
    public TimeSpan Elapsed { get; set; }
    public string Stdout { get; set; } = "";
    public string Stderr { get; set; } = "";
    /// <summary>The agent's verify command on the changed checkout (PW_VERIFY_CMD), or null when it did not run.</summary>
    public PatchwireVerifyResult? Verify { get; set; }
    /// <summary>False only when a verify ran and failed.</summary>
    public bool VerifyPassed => Verify?.Passed ?? true;
    /// <summary>The AI's answer in words: its standard output (for 'claude --print', its reply), trimmed.</summary>
    public string Reply => Stdout.Trim();
    /// <summary>How the diff was applied (-Apply), or null when it was not.</summary>
    public PatchApplyMethod? Applied { get; set; }
    /// <summary>Where the diff was saved when it was not applied (.patchwire/patches/…; .patchwire/last.patch is a copy of the newest).</summary>
    public string? SavedPatch { get; set; }
    /// <summary>This run's id on the laptop: it names the run's saved patch.</summary>
    public string RunId { get; set; } = PatchStore.NewRunId();
    public int LinesAdded => Files.Sum(f => f.LinesAdded);
    public int LinesRemoved => Files.Sum(f => f.LinesRemoved);
    public bool HasChanges => Files.Length > 0;
    string IPatchwireChanges.Patch => Diff;
}
