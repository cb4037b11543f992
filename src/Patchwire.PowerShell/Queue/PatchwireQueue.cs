namespace Patchwire.PowerShell.Queue;

/// <summary>The agent's queue at one moment (GET /queue): its caps, who is running, who waits and in which place.</summary>
public sealed class PatchwireQueue
{
    public string AgentUrl { get; set; } = "";
    /// <summary>PW_MAX_CONCURRENT_TOTAL: runs at once, all users.</summary>
    public int GlobalCap { get; set; }
    /// <summary>PW_MAX_CONCURRENT_PER_USER: runs at once, one user.</summary>
    public int PerUserCap { get; set; }
    /// <summary>One user name per running request.</summary>
    public string[] InFlight { get; set; } = new string[0];
    /// <summary>Waiting requests in the order they will be considered.</summary>
    public PatchwireQueuedRequest[] Queued { get; set; } = new PatchwireQueuedRequest[0];
    public int RunningCount => InFlight.Length;
    public int WaitingCount => Queued.Length;
    public int FreeSlots => Math.Max(0, GlobalCap - InFlight.Length);
}
