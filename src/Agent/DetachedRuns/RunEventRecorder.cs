using System.Text;

namespace Patchwire.Agent.DetachedRuns;

/// <summary>
/// The response body a detached run's /ask flow writes to: each NDJSON line becomes one of the run's events. What is
/// left without a newline (a pre-flight's JSON error body) is kept as <see cref="Remainder"/>.
/// </summary>
public sealed class RunEventRecorder(DetachedRun run) : Stream
{
    private readonly MemoryStream _pending = new();

    public string Remainder => Encoding.UTF8.GetString(_pending.GetBuffer(), 0, (int)_pending.Length);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var newline = buffer.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _pending.Write(buffer);
                return;
            }
            _pending.Write(buffer[..newline]);
            var line = Encoding.UTF8.GetString(_pending.GetBuffer(), 0, (int)_pending.Length).Trim();
            _pending.SetLength(0);
            if (line.Length > 0) run.Append(line); // blank lines are keep-alives
            buffer = buffer[(newline + 1)..];
        }
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
