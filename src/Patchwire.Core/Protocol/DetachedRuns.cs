using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Patchwire.Core.Protocol;

/// <summary>The states of a detached run (SPEC §17); the last three are final.</summary>
public static class RunStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinal(string? state) => state is Succeeded or Failed or Cancelled;
}

/// <summary>Error codes that only detached runs end with (their other errors are /ask's).</summary>
public static class DetachedErrorCodes
{
    public const string Cancelled = "cancelled";
    public const string AgentRestarted = "agent_restarted";
}

/// <summary>202 answer of POST /runs.</summary>
public sealed class RunCreated
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
}

/// <summary>
/// GET /runs/{id} (and, without <see cref="Result"/>, each entry of GET /runs): a detached run's state; once final,
/// <see cref="Result"/> is its last event, /ask's result or error event.
/// </summary>
public sealed class RunInfo
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("user")] public string User { get; set; } = "";
    [JsonPropertyName("project")] public string Project { get; set; } = "";
    [JsonPropertyName("state")] public string State { get; set; } = RunStates.Queued;
    [JsonPropertyName("position")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Position { get; set; }
    [JsonPropertyName("promptSha256")] public string PromptSha256 { get; set; } = "";
    [JsonPropertyName("createdAt")] public DateTimeOffset CreatedAt { get; set; }
    [JsonPropertyName("startedAt")] public DateTimeOffset? StartedAt { get; set; }
    [JsonPropertyName("finishedAt")] public DateTimeOffset? FinishedAt { get; set; }
    [JsonPropertyName("message")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Message { get; set; }
    [JsonPropertyName("files")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<string>? Files { get; set; }
    [JsonPropertyName("events")] public int Events { get; set; }
    [JsonPropertyName("result")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JsonElement? Result { get; set; }
}
