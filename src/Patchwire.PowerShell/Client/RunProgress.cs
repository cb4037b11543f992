namespace Patchwire.PowerShell.Client;

/// <summary>What the person waiting for an ask or a chat turn should be told, step by step.</summary>
public sealed class RunProgress(string stage, string message, int? position = null)
{
    public const string Syncing = "syncing";
    public const string Queued = "queued";
    public const string Asking = "asking";
    public const string Verifying = "verifying";
    public string Stage { get; } = stage;
    public string Message { get; } = message;
    /// <summary>The place in the agent's queue, for <see cref="Queued"/>.</summary>
    public int? Position { get; } = position;
}
