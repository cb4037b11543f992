using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Patchwire.Core.Protocol;

/// <summary>
/// The NDJSON events of POST /ask and POST /chat (SPEC §7, §10), shared by the agent that writes them and
/// the module that reads them. Fields may be added, never removed or renamed.
/// </summary>
public static class EventTypes
{
    public const string Queued = "queued";
    public const string Accepted = "accepted";
    public const string Result = "result";
    public const string Error = "error";
    public const string ChatTurnStart = "chat_turn_start";
    public const string ChatText = "chat_text";
    public const string ChatDiff = "chat_diff";
    public const string ChatDone = "chat_done";
}

public static class ErrorCodes
{
    public const string RunFailed = "run_failed";
    public const string DiffFailed = "diff_failed";
    public const string Internal = "internal";
    public const string TurnFailed = "turn_failed";
    /// <summary>The agent is shutting down: a queued request was dropped, or a running one outlived PW_STOP_GRACE_SEC.</summary>
    public const string AgentStopping = "agent_stopping";
}

public sealed class QueuedEvent
{
    [JsonPropertyName("type")] public string Type { get; set; } = EventTypes.Queued;
    [JsonPropertyName("position")] public int Position { get; set; }
}

public sealed class AcceptedEvent
{
    [JsonPropertyName("type")] public string Type { get; set; } = EventTypes.Accepted;
    [JsonPropertyName("queueWaitMs")] public long QueueWaitMs { get; set; }
}

public sealed class ResultEvent
{
    [JsonPropertyName("type")] public string Type { get; set; } = EventTypes.Result;
    [JsonPropertyName("diff")] public string Diff { get; set; } = "";
    [JsonPropertyName("files")] public List<string> Files { get; set; } = new();
    [JsonPropertyName("durationMs")] public long DurationMs { get; set; }
    [JsonPropertyName("stdout")] public string Stdout { get; set; } = "";
    [JsonPropertyName("stderr")] public string Stderr { get; set; } = "";
    [JsonPropertyName("exitCode")] public int ExitCode { get; set; }
    /// <summary>Added beyond upstream: the commit the run started from, when the request named one.</summary>
    [JsonPropertyName("baseline")] public string? Baseline { get; set; }
    /// <summary>Added beyond upstream: per file of <see cref="Files"/>, in the same order, its status and line counts.</summary>
    [JsonPropertyName("changes")] public List<FileChangeInfo> Changes { get; set; } = new();
}

/// <summary>One changed file of a result: git's status letter (A added, M modified, D deleted, R renamed, C copied, T type changed), line counts (null for binary files), the old path of a rename.</summary>
public sealed class FileChangeInfo
{
    [JsonPropertyName("path")] public string Path { get; set; } = "";
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("additions")] public int? Additions { get; set; }
    [JsonPropertyName("deletions")] public int? Deletions { get; set; }
    [JsonPropertyName("oldPath")] public string? OldPath { get; set; }
}

public sealed class ErrorEvent
{
    [JsonPropertyName("type")] public string Type { get; set; } = EventTypes.Error;
    [JsonPropertyName("code")] public string Code { get; set; } = ErrorCodes.Internal;
    [JsonPropertyName("message")] public string Message { get; set; } = "";
    /// <summary>Chat only: whether the session can take another turn.</summary>
    [JsonPropertyName("recoverable")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? Recoverable { get; set; }
}

/// <summary>GET /queue.</summary>
public sealed class QueueSnapshot
{
    [JsonPropertyName("globalCap")] public int GlobalCap { get; set; }
    [JsonPropertyName("perUserCap")] public int PerUserCap { get; set; }
    [JsonPropertyName("inFlight")] public List<string> InFlight { get; set; } = new();
    [JsonPropertyName("queued")] public List<QueuedEntry> Queued { get; set; } = new();
}

public sealed class QueuedEntry
{
    [JsonPropertyName("user")] public string User { get; set; } = "";
    [JsonPropertyName("position")] public int Position { get; set; }
}

public static class ProtocolJson
{
    /// <summary>How both sides read and write the protocol: <see cref="ProtocolJsonContext"/>'s generated metadata for its
    /// types, reflection only for anything else.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ProtocolJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    /// <summary>How the agent writes NDJSON event lines: <see cref="Options"/> without escaping '+', '&lt;' and friends (diffs are full of them).</summary>
    public static readonly JsonSerializerOptions EventLines = new(Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The "type" of one NDJSON line, or null when the line is not a JSON object with a string type.</summary>
    public static string? TypeOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
}
