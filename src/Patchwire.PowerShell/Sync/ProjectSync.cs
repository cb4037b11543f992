using Patchwire.PowerShell.Client;

namespace Patchwire.PowerShell.Sync;

/// <summary>What one sync did: the baseline commit the agent now holds for the project.</summary>
public sealed class SyncResult
{
    public string Project { get; set; } = "";
    /// <summary>The snapshot commit id; /ask and /chat pass it as "baseline".</summary>
    public string Baseline { get; set; } = "";
    /// <summary>False when the agent already had this snapshot (nothing was sent).</summary>
    public bool Transferred { get; set; }
    public long BytesSent { get; set; }
    public TimeSpan Duration { get; set; }
}

/// <summary>
/// Snapshots the laptop's working tree and brings the agent's checkout to it (SPEC §6).
/// Contract shared by the sync, ask and chat work; the sync issue implements it.
/// </summary>
public static class ProjectSync
{
    public static Task<SyncResult> SyncAsync(ClientSettings settings, AgentClient client, IProgress<string>? progress, CancellationToken cancellationToken) =>
        throw new NotImplementedException("Sync lands with the laptop-side sync work.");
}
