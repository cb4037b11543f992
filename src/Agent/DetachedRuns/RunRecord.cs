using System.Text.Json;
using Patchwire.Core.Protocol;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>What the store keeps of one detached run: never the prompt, only its hash.</summary>
public sealed class RunRecord
{
    public required string Id { get; init; }
    public required string User { get; init; }
    public required string Project { get; init; }
    public required string PromptSha256 { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string State { get; set; } = RunStates.Queued;
    public int? Position { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Message { get; set; }
    /// <summary>The final event's JSON line (result or error), once there is one.</summary>
    /// <summary>When set, the final event is event number FinalSeq in the store and <see cref="FinalEvent"/> holds only its file list.</summary>
    public string? FinalEvent { get; set; }
    public int? FinalSeq { get; set; }
    public int EventCount { get; set; }

    public RunRecord Copy() => (RunRecord)MemberwiseClone();

    public RunInfo ToInfo(bool withResult)
    {
        var info = new RunInfo
        {
            Id = Id, User = User, Project = Project, State = State, PromptSha256 = PromptSha256, CreatedAt = CreatedAt,
            StartedAt = StartedAt, FinishedAt = FinishedAt, Message = Message, Events = EventCount,
            Position = State == RunStates.Queued ? Position : null,
        };
        if (FinalEvent is not null)
        {
            using var doc = JsonDocument.Parse(FinalEvent);
            if (doc.RootElement.TryGetProperty("files", out var files) && files.ValueKind == JsonValueKind.Array)
                info.Files = files.EnumerateArray().Select(f => f.GetString() ?? "").ToList();
            if (withResult && FinalSeq is null) info.Result = doc.RootElement.Clone();
        }
        return info;
    }
}
