using System.Management.Automation;
using Patchwire.PowerShell.Common;
using Patchwire.PowerShell.Patch;

namespace Patchwire.PowerShell.Chat;

/// <summary>One turn of a chat session: what the AI said, what it changed, and what it cost.</summary>
public sealed class PatchwireChatTurn : IPatchwireChanges
{
    /// <summary>The session; pass it back (-Session) to continue the conversation.</summary>
    public Guid SessionId { get; set; }
    /// <summary>1 for the session's first completed turn, 2 for the next, and so on.</summary>
    public int TurnIndex { get; set; }
    /// <summary>The AI's reply, as it was streamed.</summary>
    public string Text { get; set; } = "";
    public PatchwireFileChange[] Files { get; set; } = Array.Empty<PatchwireFileChange>();
    /// <summary>The turn's changes as a diff for 'git apply' (empty when nothing changed).</summary>
    public string Patch { get; set; } = "";
    public long TokensIn { get; set; }
    public long TokensOut { get; set; }
    /// <summary>The AI's own time on the agent.</summary>
    public TimeSpan Duration { get; set; }
    public TimeSpan QueueWait { get; set; }
    public string Project { get; set; } = "";
    /// <summary>The local folder the patch applies to.</summary>
    public string ProjectRoot { get; set; } = "";
    /// <summary>The synced snapshot the turn started from (null with -NoSync).</summary>
    public string? Baseline { get; set; }
    /// <summary>How the patch was applied (-Apply), or null when it was not.</summary>
    public PatchApplyMethod? Applied { get; set; }
    /// <summary>Where the patch was saved when it was not applied (.patchwire/patches/…; .patchwire/last.patch is a copy of the newest).</summary>
    public string? SavedPatch { get; set; }
    /// <summary>Names the turn's saved patch: the session's first 8 characters and the turn.</summary>
    public string RunId => $"{SessionId:N}".Substring(0, 8) + "-turn" + TurnIndex;
    public int LinesAdded => Files.Sum(f => f.LinesAdded);
    public int LinesRemoved => Files.Sum(f => f.LinesRemoved);
    public bool HasChanges => Files.Length > 0;
}

/// <summary>A turn the agent could not complete (its 'error' event), or a broken stream.</summary>
public sealed class ChatTurnFailedException(string code, string message, bool recoverable)
    : PatchwireException(message, ErrorIds.ChatPrefix + code, code is "connection_lost" ? ErrorCategory.ConnectionError : ErrorCategory.InvalidResult)
{
    public string Code { get; } = code;
    /// <summary>True when the session can take another turn.</summary>
    public bool Recoverable { get; } = recoverable;
}
