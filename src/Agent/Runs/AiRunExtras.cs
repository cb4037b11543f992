using System.Text;

namespace Patchwire.Agent.Runs;

/// <summary>
/// Optional additions to one AI run: arguments placed after PW_AI_ARGS, and a callback that sees each line of stdout
/// as the AI writes it (the last line too when it lacks its newline), so a caller can stream the reply. The callback
/// runs on the reader's thread and must not block; stdout is still captured (bounded) for the outcome as usual.
/// A line longer than <see cref="MaxLineChars"/> is never held whole: <see cref="OnOverlongLine"/> is called and the
/// rest of it, up to its newline, is dropped.
/// </summary>
public sealed record AiRunExtras(IReadOnlyList<string>? ExtraArgs = null, Action<string>? OnStdoutLine = null)
{
    public int MaxLineChars { get; init; } = int.MaxValue;
    public Action? OnOverlongLine { get; init; }
}

/// <summary>
/// Splits a byte stream into UTF-8 lines (LF or CRLF), carrying partial lines and characters across reads. A line that
/// grows past <paramref name="maxLineChars"/> is not kept: <paramref name="onOverlong"/> is called once for it, and
/// what follows up to its newline is dropped.
/// </summary>
public sealed class Utf8LineSplitter(Action<string> onLine, int maxLineChars = int.MaxValue, Action? onOverlong = null)
{
    private bool _dropping;
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
            if (_dropping) _dropping = false;
            else if (Keep(start, i - start)) Emit();
            start = i + 1;
        }
        if (!_dropping) Keep(start, count - start);
    }

    /// <summary>Appends to the current line unless that makes it too long; then the line is dropped (false).</summary>
    private bool Keep(int start, int length)
    {
        if (_line.Length + (long)length <= maxLineChars)
        {
            _line.Append(_chars, start, length);
            return true;
        }
        _line.Clear();
        _dropping = true;
        onOverlong?.Invoke();
        return false;
    }

    /// <summary>End of stream: the last line, if it had no newline.</summary>
    public void Complete()
    {
        var tail = new char[16];
        var count = _decoder.GetChars(Array.Empty<byte>(), 0, 0, tail, 0, flush: true);
        if (_dropping) return;
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
