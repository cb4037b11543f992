using System.Text.Json.Serialization;

namespace Patchwire.Core.Protocol;

/// <summary>A /chat turn got its slot and starts. <see cref="SessionId"/> is the client's session uuid; turns count from 1.</summary>
public sealed class ChatTurnStartEvent
{
    [JsonPropertyName("type")] public string Type { get; set; } = EventTypes.ChatTurnStart;
    [JsonPropertyName("sessionId")] public string SessionId { get; set; } = "";
    [JsonPropertyName("turnIndex")] public int TurnIndex { get; set; }
}

/// <summary>Text the AI wrote, sent as it is written.</summary>
public sealed class ChatTextEvent
{
    [JsonPropertyName("type")] public string Type { get; set; } = EventTypes.ChatText;
    [JsonPropertyName("chunk")] public string Chunk { get; set; } = "";
}

/// <summary>The files the turn changed, as a patch <c>git apply</c> accepts (new, deleted, renamed and binary files included).</summary>
public sealed class ChatDiffEvent
{
    [JsonPropertyName("type")] public string Type { get; set; } = EventTypes.ChatDiff;
    [JsonPropertyName("patch")] public string Patch { get; set; } = "";
    [JsonPropertyName("files")] public List<FileChangeInfo> Files { get; set; } = new();
}

/// <summary>The turn completed. Tokens are this turn's (0 for an AI that does not report usage).</summary>
public sealed class ChatDoneEvent
{
    [JsonPropertyName("type")] public string Type { get; set; } = EventTypes.ChatDone;
    [JsonPropertyName("tokensIn")] public long TokensIn { get; set; }
    [JsonPropertyName("tokensOut")] public long TokensOut { get; set; }
    [JsonPropertyName("durationMs")] public long DurationMs { get; set; }
    /// <summary>Added beyond upstream: the turn's index again, and the commit the turn started from when the request named one.</summary>
    [JsonPropertyName("turnIndex")] public int TurnIndex { get; set; }
    [JsonPropertyName("baseline")] public string? Baseline { get; set; }
}
