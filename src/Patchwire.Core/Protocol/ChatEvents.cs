using System.Text.Json.Serialization;

namespace Patchwire.Core.Protocol;

/// <summary>
/// A /chat turn started, as upstream's: <see cref="SessionId"/> is the AI's own session id (null when the AI gave none
/// and there was none to resume); <see cref="TurnIndex"/> counts the session's completed turns before this one (0 first).
/// </summary>
public sealed class ChatTurnStartEvent
{
    [JsonPropertyName("type")] public string Type { get; set; } = EventTypes.ChatTurnStart;
    [JsonPropertyName("sessionId")] public string? SessionId { get; set; }
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

/// <summary>
/// The <c>code</c> of /chat's and the session routes' error bodies, <c>{"ok":false,"code":…}</c> as upstream writes
/// them; our bodies keep their <c>error</c> text beside it (see <see cref="HttpErrors"/>).
/// </summary>
public static class ChatErrorCodes
{
    public const string InvalidBody = "invalid_body";
    public const string InvalidUuid = "invalid_uuid";
    public const string UnknownUuid = "unknown_uuid";
    public const string InvalidProjectName = "invalid_project_name";
    public const string ProjectNotFound = "project_not_found";
    public const string NotAGitRepository = "not_a_git_repository";
    public const string UnknownBaseline = "unknown_baseline";
    public const string CheckoutDirty = "checkout_dirty";
    public const string PromptTooLarge = "prompt_too_large";
    public const string RequestBodyTooLarge = "request_body_too_large";
    public const string TurnInFlight = "turn_in_flight";
    public const string SessionOtherProject = "session_other_project";
    public const string TooManySessions = "too_many_sessions";

    /// <summary>The code for an error text; texts without one of their own become snake_case.</summary>
    public static string For(string error)
    {
        switch (error)
        {
            case HttpErrors.InvalidSessionUuid: return InvalidUuid;
            case HttpErrors.SessionNotFound: return UnknownUuid;
            case HttpErrors.InvalidProjectName: return InvalidProjectName;
            case HttpErrors.ProjectNotFound: return ProjectNotFound;
            case HttpErrors.NotAGitRepository: return NotAGitRepository;
            case HttpErrors.UnknownBaseline: return UnknownBaseline;
            case HttpErrors.CheckoutDirty: return CheckoutDirty;
            case HttpErrors.PromptTooLarge: return PromptTooLarge;
            case HttpErrors.RequestBodyTooLarge: return RequestBodyTooLarge;
            case HttpErrors.TurnInFlight: return TurnInFlight;
            case HttpErrors.SessionOtherProject: return SessionOtherProject;
            case HttpErrors.TooManySessions: return TooManySessions;
        }
        if (error.StartsWith("invalid body", StringComparison.Ordinal)) return InvalidBody;
        var code = new System.Text.StringBuilder(error.Length);
        foreach (var c in error.ToLowerInvariant())
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') code.Append(c);
            else if (code.Length > 0 && code[code.Length - 1] != '_') code.Append('_');
        return code.ToString().TrimEnd('_');
    }
}
