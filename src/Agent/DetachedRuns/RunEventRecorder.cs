using System.Text;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>
/// The response body a detached run's /ask flow writes to: each NDJSON line becomes one of the run's events. What is
/// left without a newline (a pre-flight's JSON error body) is kept as <see cref="Remainder"/>. A line is gathered in the
/// pieces it was written in: a short one is decoded into its string, a long one (a result with a diff of up to
/// PW_MAX_DIFF_BYTES) goes to the store as those UTF-8 pieces: no buffer that doubles as it grows, never a string.
/// </summary>
public sealed class RunEventRecorder(DetachedRun run) : Stream
{
    private readonly List<byte[]> _pending = new();
    private long _pendingBytes;

    public string Remainder => PendingText();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var newline = buffer.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _pending.Add(buffer.ToArray());
                _pendingBytes += buffer.Length;
                return;
            }
            if (newline > 0)
            {
                _pending.Add(buffer[..newline].ToArray());
                _pendingBytes += newline;
            }
            if (_pendingBytes > DetachedRun.WholeParseLimit)
            {
                var pieces = TrimmedPieces();
                _pending.Clear();
                _pendingBytes = 0;
                run.Append(pieces);
            }
            else
            {
                var line = PendingText().Trim();
                _pending.Clear();
                _pendingBytes = 0;
                if (line.Length > 0) run.Append(line); // blank lines are keep-alives
            }
            buffer = buffer[(newline + 1)..];
        }
    }

    /// <summary>The pending pieces without the line's leading and trailing white space (as string.Trim on JSON text).</summary>
    private List<ReadOnlyMemory<byte>> TrimmedPieces()
    {
        var pieces = _pending.Select(p => (ReadOnlyMemory<byte>)p).ToList();
        while (pieces.Count > 0)
        {
            var start = pieces[0].Span.IndexOfAnyExcept(" \t\r\n"u8);
            if (start >= 0)
            {
                pieces[0] = pieces[0][start..];
                break;
            }
            pieces.RemoveAt(0);
        }
        while (pieces.Count > 0)
        {
            var end = pieces[^1].Span.LastIndexOfAnyExcept(" \t\r\n"u8);
            if (end >= 0)
            {
                pieces[^1] = pieces[^1][..(end + 1)];
                break;
            }
            pieces.RemoveAt(pieces.Count - 1);
        }
        return pieces;
    }

    private string PendingText()
    {
        if (_pending.Count == 0) return "";
        var decoder = Encoding.UTF8.GetDecoder();
        long count = 0;
        for (var i = 0; i < _pending.Count; i++) count += decoder.GetCharCount(_pending[i], flush: i == _pending.Count - 1);
        decoder.Reset();
        return string.Create(checked((int)count), _pending, (chars, pieces) =>
        {
            for (var i = 0; i < pieces.Count; i++)
                chars = chars[decoder.GetChars(pieces[i], chars, flush: i == pieces.Count - 1)..];
        });
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
