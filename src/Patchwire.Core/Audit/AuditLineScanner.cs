namespace Patchwire.Core.Audit;

/// <summary>Splits a log file into lines on '\n', forwards or backwards, in bounded memory.</summary>
internal static class AuditLineScanner
{
    public const int ChunkSize = 256 * 1024;
    /// <summary>Longer lines are not audit lines: they are reported as overlong and skipped, so memory stays bounded.</summary>
    public const int MaxLineBytes = 4 * 1024 * 1024;

    /// <summary>Called per line; <paramref name="offset"/> is where the line starts in the file. Return false to stop.</summary>
    public delegate bool LineVisitor(ReadOnlySpan<byte> line, long offset, bool overlong);

    /// <summary>Visits the lines of <paramref name="stream"/> from the last to the first. False when the visitor stopped.</summary>
    [System.Runtime.CompilerServices.MethodImpl(AuditHotPath.Optimize)]
    public static bool Backward(FileStream stream, LineVisitor visit)
    {
        var length = stream.Length;
        if (length == 0) return true;
        var buffer = new byte[(int)Math.Min(ChunkSize, length)];
        var bufferStart = length - buffer.Length;
        ReadExactly(stream, bufferStart, buffer, 0, buffer.Length);
        var end = buffer.Length;
        if (buffer[end - 1] == '\n') end--; // the final line ending closes the last line; it opens no empty one
        var discarding = false; // inside a line longer than MaxLineBytes, whose end was already reported
        while (true)
        {
            var newline = end == 0 ? -1 : buffer.AsSpan(0, end).LastIndexOf((byte)'\n');
            if (discarding)
            {
                if (newline < 0 && bufferStart > 0) end = 0;
                else { discarding = false; end = newline < 0 ? 0 : newline; if (newline < 0) return true; continue; }
            }
            else if (newline >= 0 || bufferStart == 0)
            {
                var lineStart = newline + 1;
                if (!visit(buffer.AsSpan(lineStart, end - lineStart), bufferStart + lineStart, false)) return false;
                if (newline < 0) return true;
                end = newline;
                continue;
            }
            else if (end >= MaxLineBytes)
            {
                if (!visit(ReadOnlySpan<byte>.Empty, bufferStart, true)) return false;
                discarding = true;
                end = 0;
            }

            // Prepend the previous chunk of the file to the unfinished line at the buffer's start.
            var chunk = (int)Math.Min(ChunkSize, bufferStart);
            if (chunk + end > buffer.Length)
            {
                var grown = new byte[Math.Max(buffer.Length * 2, chunk + end)];
                Buffer.BlockCopy(buffer, 0, grown, chunk, end);
                buffer = grown;
            }
            else
            {
                Buffer.BlockCopy(buffer, 0, buffer, chunk, end);
            }
            bufferStart -= chunk;
            ReadExactly(stream, bufferStart, buffer, 0, chunk);
            end += chunk;
        }
    }

    private static void ReadExactly(FileStream stream, long position, byte[] buffer, int offset, int count)
    {
        stream.Position = position;
        while (count > 0)
        {
            var read = stream.Read(buffer, offset, count);
            if (read <= 0) throw new IOException($"The audit log '{stream.Name}' shrank while it was being read.");
            offset += read;
            count -= read;
        }
    }
}

/// <summary>Reads lines from a position to the end of a file, in bounded memory.</summary>
internal sealed class ForwardLineReader
{
    private readonly FileStream _stream;
    private byte[] _buffer = new byte[AuditLineScanner.ChunkSize];
    private int _start;
    private int _end;
    private bool _eof;
    private bool _discarding;

    public ForwardLineReader(FileStream stream, long position)
    {
        _stream = stream;
        _stream.Position = position;
    }

    public byte[] Buffer => _buffer;

    /// <summary>The next line as a range of <see cref="Buffer"/>; <paramref name="overlong"/> marks a line too long to keep.</summary>
    [System.Runtime.CompilerServices.MethodImpl(AuditHotPath.Optimize)]
    public bool Next(out int start, out int length, out bool overlong)
    {
        overlong = false;
        while (true)
        {
            var newline = _end > _start ? _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n') : -1;
            if (newline >= 0)
            {
                start = _start;
                length = newline;
                _start += newline + 1;
                if (_discarding) { _discarding = false; continue; }
                return true;
            }
            if (_eof)
            {
                start = _start;
                length = _end - _start;
                _start = _end;
                if (length == 0 || _discarding) { _discarding = false; return false; }
                return true;
            }
            if (_end - _start >= AuditLineScanner.MaxLineBytes && !_discarding)
            {
                _discarding = true;
                _start = _end = 0;
                start = 0;
                length = 0;
                overlong = true;
                return true;
            }
            if (_discarding) _start = _end = 0;
            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            System.Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read <= 0) _eof = true;
        else _end += read;
    }
}

/// <summary>
/// Per-line methods are compiled fully optimized on first call instead of starting as unoptimized tier-0 code:
/// a single read calls them hundreds of thousands of times, usually in a fresh process.
/// </summary>
internal static class AuditHotPath
{
    // MethodImplOptions.AggressiveOptimization (.NET Core 3.0+); netstandard2.0 does not name it, older runtimes ignore it.
    public const System.Runtime.CompilerServices.MethodImplOptions Optimize = (System.Runtime.CompilerServices.MethodImplOptions)512;
}
