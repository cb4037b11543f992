using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Patchwire.Core.Audit;

/// <summary>
/// One line of the audit log (SPEC §9). Field names are the wire names; /ask fills the ask fields,
/// /chat the chat fields, and the others are left null so they are not written.
/// </summary>
public sealed class AuditEntry
{
    /// <summary>When the turn was logged. Left at default, the writer stamps the moment of the append (keeping the file in time order).</summary>
    [JsonPropertyName("ts")] public DateTimeOffset Timestamp { get; set; }
    [JsonPropertyName("user")] public string User { get; set; } = "";
    [JsonPropertyName("project")] public string Project { get; set; } = "";
    /// <summary>"/ask" or "/chat".</summary>
    [JsonPropertyName("route")] public string Route { get; set; } = "";
    [JsonPropertyName("prompt_sha256")] public string PromptSha256 { get; set; } = "";
    [JsonPropertyName("duration_ms")] public long DurationMs { get; set; }
    [JsonPropertyName("queue_wait_ms")] public long QueueWaitMs { get; set; }

    [JsonPropertyName("files")] public int? Files { get; set; }
    [JsonPropertyName("lines_added")] public int? LinesAdded { get; set; }
    [JsonPropertyName("lines_removed")] public int? LinesRemoved { get; set; }
    [JsonPropertyName("exit_code")] public int? ExitCode { get; set; }

    [JsonPropertyName("uuid")] public string? Uuid { get; set; }
    [JsonPropertyName("tokens_in")] public long? TokensIn { get; set; }
    [JsonPropertyName("tokens_out")] public long? TokensOut { get; set; }

    /// <summary>/ask: the model the AI reported (or was given with --model), and what the run cost.</summary>
    [JsonPropertyName("model")] public string? Model { get; set; }
    [JsonPropertyName("cost_usd")] public double? CostUsd { get; set; }
    /// <summary>Where <see cref="CostUsd"/> came from: pricing_file, unknown_model, ai_reported, no_pricing or no_usage.</summary>
    [JsonPropertyName("cost_source")] public string? CostSource { get; set; }
    /// <summary>Whether PW_VERIFY_CMD passed; absent when it did not run (not configured, or no files changed).</summary>
    [JsonPropertyName("verify_passed")] public bool? VerifyPassed { get; set; }

    /// <summary>/ask: the error code of a run that failed after the AI ran (diff_failed: its changes could not be returned).</summary>
    [JsonPropertyName("error")] public string? Error { get; set; }

    public const string AskRoute = "/ask";
    public const string ChatRoute = "/chat";

    /// <summary>The SHA-256 of the prompt's UTF-8 bytes as lowercase hex: all the log ever keeps of a prompt.</summary>
    public static string HashPrompt(string prompt)
    {
        if (prompt is null) throw new ArgumentNullException(nameof(prompt));
        using var sha = SHA256.Create();
        var hash = sha.ComputeHash(Encoding.UTF8.GetBytes(prompt));
        var hex = new StringBuilder(hash.Length * 2);
        foreach (var b in hash) hex.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return hex.ToString();
    }
}
