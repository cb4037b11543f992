using System.Text;
using System.Text.Json;

namespace Patchwire.Agent.Chat;

/// <summary>
/// Reads the AI's stdout line by line. Claude Code's <c>--output-format stream-json</c> gives one JSON event a line:
/// <c>system/init</c> carries the session id, <c>assistant</c> messages carry text blocks (or, with
/// <c>--include-partial-messages</c>, <c>stream_event</c> text deltas), and the final <c>result</c> carries the
/// token <c>usage</c>. Malformed lines are skipped. An AI that prints plain text (its first line is not a JSON object)
/// is streamed as text with no session id and no tokens.
/// </summary>
public sealed class AiStreamParser
{
    private enum Mode { Undecided, Json, PlainText }

    private Mode _mode = Mode.Undecided;
    private readonly List<string> _undecidedLines = new();
    private long _undecidedChars;
    /// <summary>Lines held while the mode is undecided; past this much, the AI is taken to speak plain text.</summary>
    private const long MaxUndecidedChars = 64 * 1024;
    private bool _sawDeltas;
    private bool _newBlock = true;
    private bool _textEndsWithNewline = true;
    private bool _anyText;

    /// <summary>The AI's own session id, from the init event or the result; only a UUID (anything else is ignored).</summary>
    public string? SessionId { get; private set; }
    public long TokensIn { get; private set; }
    public long TokensOut { get; private set; }
    /// <summary>True once a <c>result</c> event arrived.</summary>
    public bool SawResult { get; private set; }
    /// <summary>The result event said <c>is_error</c>; <see cref="ResultText"/> then says why.</summary>
    public bool ResultIsError { get; private set; }
    public string? ResultText { get; private set; }
    public string? ResultSubtype { get; private set; }
    /// <summary>The result event as it came, for the usage meter (model, cost).</summary>
    public string? ResultJson { get; private set; }
    public int SkippedLines { get; private set; }

    /// <summary>Characters of text streamed so far (the text itself is not kept: it went to the client).</summary>
    public long TextChars { get; private set; }

    /// <summary>Feeds one line (without its newline); returns the text chunk it adds, or null.</summary>
    public string? Feed(string line)
    {
        switch (_mode)
        {
            case Mode.PlainText:
                return EmitPlain(line + "\n");
            case Mode.Json:
                return FeedJson(line);
        }

        var trimmed = line.TrimStart();
        if (trimmed.Length == 0)
        {
            if (_undecidedLines.Count < 1000) _undecidedLines.Add(line);
            return null;
        }
        if (TryParseEvent(trimmed, out var doc))
        {
            _mode = Mode.Json;
            _undecidedLines.Clear();
            using (doc) return Handle(doc!.RootElement);
        }
        _undecidedChars += line.Length;
        if (trimmed[0] == '{' && _undecidedChars <= MaxUndecidedChars) { _undecidedLines.Add(line); SkippedLines++; return null; }

        // The first line that is not JSON decides: this AI speaks plain text, including what looked like broken JSON before.
        _mode = Mode.PlainText;
        var pending = string.Concat(_undecidedLines.Select(l => l + "\n")) + line + "\n";
        _undecidedLines.Clear();
        SkippedLines = 0;
        return EmitPlain(pending);
    }

    private string? FeedJson(string line)
    {
        var trimmed = line.Trim();
        if (trimmed.Length == 0) return null;
        if (!TryParseEvent(trimmed, out var doc)) { SkippedLines++; return null; }
        using (doc) return Handle(doc!.RootElement);
    }

    private static bool TryParseEvent(string line, out JsonDocument? doc)
    {
        doc = null;
        if (line[0] != '{') return false;
        try
        {
            doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String)
                return true;
            doc.Dispose();
            doc = null;
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private string? Handle(JsonElement e)
    {
        var type = e.GetProperty("type").GetString();
        var session = String(e, "session_id");
        // The id goes onto the next turn's command line (--resume ID), so only Claude Code's own shape, a UUID, is taken.
        if (!ChatRequest.IsUuid(session)) session = null;
        switch (type)
        {
            case "system":
                if (session is not null && (SessionId is null || String(e, "subtype") == "init")) SessionId = session;
                return null;
            case "stream_event":
                if (e.TryGetProperty("event", out var started) && started.ValueKind == JsonValueKind.Object && String(started, "type") == "content_block_start")
                    _newBlock = true;
                if (e.TryGetProperty("event", out var ev) && ev.ValueKind == JsonValueKind.Object
                    && String(ev, "type") == "content_block_delta"
                    && ev.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
                    && String(delta, "type") == "text_delta" && String(delta, "text") is { Length: > 0 } deltaText)
                {
                    _sawDeltas = true;
                    var continuing = !_newBlock;
                    _newBlock = false;
                    return EmitBlock(deltaText, continuing);
                }
                return null;
            case "assistant":
                if (_sawDeltas) return null; // the same text already arrived as deltas
                return AssistantText(e);
            case "result":
                SawResult = true;
                if (session is not null) SessionId = session;
                ResultSubtype = String(e, "subtype");
                ResultJson = e.GetRawText();
                ResultIsError = e.TryGetProperty("is_error", out var isError) && isError.ValueKind == JsonValueKind.True;
                ResultText = String(e, "result");
                if (e.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    // Cached prompt tokens are still tokens the model read; Claude reports them apart from input_tokens.
                    TokensIn = Number(usage, "input_tokens") + Number(usage, "cache_creation_input_tokens") + Number(usage, "cache_read_input_tokens");
                    TokensOut = Number(usage, "output_tokens");
                }
                // A result text the assistant messages never showed (e.g. an error) is still worth reading.
                if (!_anyText && ResultText is { Length: > 0 } only) return EmitBlock(only, continuing: false);
                return null;
            default:
                return null;
        }
    }

    private string? AssistantText(JsonElement e)
    {
        if (!e.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object) return null;
        if (!message.TryGetProperty("content", out var content)) return null;
        if (content.ValueKind == JsonValueKind.String) return EmitBlock(content.GetString()!, continuing: false);
        if (content.ValueKind != JsonValueKind.Array) return null;
        StringBuilder? chunk = null;
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || String(block, "type") != "text" || String(block, "text") is not { Length: > 0 } text) continue;
            var piece = EmitBlock(text, continuing: false);
            if (piece is not null) (chunk ??= new StringBuilder()).Append(piece);
        }
        return chunk?.ToString();
    }

    /// <summary>Separate text blocks by a line break so two messages do not run into one line.</summary>
    private string? EmitBlock(string text, bool continuing)
    {
        if (text.Length == 0) return null;
        var chunk = !continuing && _anyText && !_textEndsWithNewline ? "\n" + text : text;
        return Append(chunk);
    }

    private string? EmitPlain(string text) => Append(text);

    private string? Append(string chunk)
    {
        if (chunk.Length == 0) return null;
        _anyText = true;
        _textEndsWithNewline = chunk[chunk.Length - 1] == '\n';
        TextChars += chunk.Length;
        return chunk;
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0 ? n : 0;
}
