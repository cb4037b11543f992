using System.Text.Json.Serialization;

namespace Patchwire.Agent.Runs;

/// <summary>
/// One run in flight, as written to disk before the AI starts: enough to put the checkout back and to find the
/// AI's processes if the agent is killed mid-run. Never holds the prompt.
/// </summary>
public sealed class RunJournalEntry
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("checkout")] public string Checkout { get; set; } = "";
    [JsonPropertyName("baseCommit")] public string BaseCommit { get; set; } = "";
    [JsonPropertyName("headRef")] public string? HeadRef { get; set; }
    /// <summary>True when <see cref="Checkout"/> is the run's own folder (removed after the run), not the user's checkout.</summary>
    [JsonPropertyName("runFolder")] public bool RunFolder { get; set; }
    [JsonPropertyName("startedAt")] public DateTimeOffset StartedAt { get; set; }
    /// <summary>The AI's process id, which is also its session and process-group id when it was started through setsid.</summary>
    [JsonPropertyName("aiProcessId")] public int? AiProcessId { get; set; }
}
