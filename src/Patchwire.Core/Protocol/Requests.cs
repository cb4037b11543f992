using System.Text.Json.Serialization;

namespace Patchwire.Core.Protocol;

/// <summary>POST /ask.</summary>
public sealed class AskRequest
{
    [JsonPropertyName("prompt")] public string Prompt { get; set; } = "";
    [JsonPropertyName("project")] public string Project { get; set; } = "";
    [JsonPropertyName("baseline")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Baseline { get; set; }
}

/// <summary>POST /chat (upstream sends "projectName"; the agent takes either).</summary>
public sealed class ChatRequestBody
{
    [JsonPropertyName("uuid")] public string Uuid { get; set; } = "";
    [JsonPropertyName("prompt")] public string Prompt { get; set; } = "";
    [JsonPropertyName("project")] public string Project { get; set; } = "";
    [JsonPropertyName("baseline")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Baseline { get; set; }
}

/// <summary>GET /sync/{project}: what the agent holds, and its limits.</summary>
public sealed class SyncState
{
    [JsonPropertyName("project")] public string Project { get; set; } = "";
    [JsonPropertyName("baseline")] public string? Baseline { get; set; }
    [JsonPropertyName("maxBundleBytes")] public long? MaxBundleBytes { get; set; }
    /// <summary>PW_MAX_PROMPT_BYTES, so the laptop can refuse an oversized prompt before syncing (absent from older agents).</summary>
    [JsonPropertyName("maxPromptBytes")] public long? MaxPromptBytes { get; set; }
}

/// <summary>POST /sync/{project}: the snapshot the checkout now holds.</summary>
public sealed class SyncAnswer
{
    [JsonPropertyName("project")] public string Project { get; set; } = "";
    [JsonPropertyName("baseline")] public string? Baseline { get; set; }
}

/// <summary>A plain-HTTP failure body: {"error": "...", ...}; 413 for a prompt adds limitBytes.</summary>
public sealed class ErrorBody
{
    [JsonPropertyName("error")] public string? Error { get; set; }
    /// <summary>Upstream's /chat and session error bodies: <c>{"ok":false,"code":…}</c>.</summary>
    [JsonPropertyName("code")] public string? Code { get; set; }
    [JsonPropertyName("limitBytes")] public long? LimitBytes { get; set; }
    [JsonPropertyName("maxBytes")] public long? MaxBytes { get; set; }
    [JsonPropertyName("hint")] public string? Hint { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
}
