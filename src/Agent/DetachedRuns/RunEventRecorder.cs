using System.Text;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>
/// The response body a detached run's /ask flow writes to: each NDJSON line becomes one of the run's events. What is
/// left without a newline (a pre-flight's JSON error body) is kept as <see cref="Remainder"/>. A line (a result with a
/// diff of up to PW_MAX_DIFF_BYTES) is gathered in the pieces it was written in and decoded once, straight into its
/// string: no buffer that doubles as it grows, no second copy of its bytes.
/// </summary>
public sealed class RunEventRecorder(DetachedRun run) : Stream
{
    private readonly List<byte[]> _pending = new();

    public string Remainder => PendingText();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var newline = buffer.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _pending.Add(buffer.ToArray());
                return;
            }
            if (newline > 0) _pending.Add(buffer[..newline].ToArray());
            var line = PendingText().Trim();
            _pending.Clear();
            if (line.Length > 0) run.Append(line); // blank lines are keep-alives
            buffer = buffer[(newline + 1)..];
        }
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
