using System.Text;

namespace Patchwire.Agent.Runs;

/// <summary>
/// Optional additions to one AI run: arguments placed after PW_AI_ARGS, and a callback that sees each line of stdout
/// as the AI writes it (the last line too when it lacks its newline), so a caller can stream the reply. The callback
/// runs on the reader's thread and must not block; stdout is still captured (bounded) for the outcome as usual.
/// </summary>
public sealed record AiRunExtras(IReadOnlyList<string>? ExtraArgs = null, Action<string>? OnStdoutLine = null);

/// <summary>Splits a byte stream into UTF-8 lines (LF or CRLF), carrying partial lines and characters across reads.</summary>
public sealed class Utf8LineSplitter(Action<string> onLine)
{
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly StringBuilder _line = new();
    private char[] _chars = new char[4096];

    public void Write(ReadOnlySpan<byte> bytes)
    {
        var needed = _decoder.GetCharCount(bytes, flush: false);
        if (_chars.Length < needed) _chars = new char[needed];
        var count = _decoder.GetChars(bytes, _chars, flush: false);
        var start = 0;
        for (var i = 0; i < count; i++)
        {
            if (_chars[i] != '\n') continue;
            _line.Append(_chars, start, i - start);
            Emit();
            start = i + 1;
        }
        _line.Append(_chars, start, count - start);
    }

    /// <summary>End of stream: the last line, if it had no newline.</summary>
    public void Complete()
    {
        var tail = new char[16];
        var count = _decoder.GetChars(Array.Empty<byte>(), 0, 0, tail, 0, flush: true);
        _line.Append(tail, 0, count);
        if (_line.Length > 0) Emit();
    }

    private void Emit()
    {
        if (_line.Length > 0 && _line[_line.Length - 1] == '\r') _line.Length--;
        var text = _line.ToString();
        _line.Clear();
        onLine(text);
    }
}
