using System.Text.Json.Serialization;

namespace Patchwire.Agent.Chat;

public static class ChatSessionStatus
{
    public const string InFlight = "in_flight";
    public const string Done = "done";
    public const string Error = "error";
}

/// <summary>
/// One chat session as the <see cref="ChatSessionStore"/> keeps it: the client's uuid, whose it is, the AI's own session
/// id to resume, and how its latest turn went. Sessions are the caller's own: (user, uuid) is the key. The JSON names
/// are those of the old $PW_HOME/agent-sessions.json, which is read once to move its sessions into the store.
/// </summary>
public sealed class ChatSession
{
    [JsonPropertyName("uuid")] public string Uuid { get; set; } = "";
    [JsonPropertyName("user")] public string User { get; set; } = "";
    [JsonPropertyName("project")] public string Project { get; set; } = "";
    /// <summary>The AI CLI's session id (Claude Code's session_id); null until a turn reported one.</summary>
    [JsonPropertyName("aiSessionId")] public string? AiSessionId { get; set; }
    /// <summary>Turns that completed. The next turn's index (counted from 0) is this.</summary>
    [JsonPropertyName("turnCount")] public int TurnCount { get; set; }
    /// <summary>The latest turn: in_flight, done or error.</summary>
    [JsonPropertyName("status")] public string Status { get; set; } = ChatSessionStatus.Done;
    [JsonPropertyName("createdAt")] public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When the latest turn started.</summary>
    [JsonPropertyName("startedAt")] public DateTimeOffset StartedAt { get; set; }
    /// <summary>When a turn of the session last started or ended: the session idle longest is expired first.</summary>
    [JsonPropertyName("lastActiveAt")] public DateTimeOffset LastActiveAt { get; set; }
    /// <summary>Tokens over all completed turns of the session.</summary>
    [JsonPropertyName("tokensIn")] public long TokensIn { get; set; }
    [JsonPropertyName("tokensOut")] public long TokensOut { get; set; }
    /// <summary>How long the latest turn took (the AI's run, queue wait excluded).</summary>
    [JsonPropertyName("durationMs")] public long DurationMs { get; set; }
    [JsonPropertyName("errorMessage")] public string? ErrorMessage { get; set; }
}
