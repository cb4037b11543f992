namespace Patchwire.PowerShell.Queue;

/// <summary>One waiting request: whose it is and its 1-based place in the global queue.</summary>
public sealed class PatchwireQueuedRequest
{
    public string User { get; set; } = "";
    public int Position { get; set; }

    public override string ToString() => $"{Position}:{User}";
}
