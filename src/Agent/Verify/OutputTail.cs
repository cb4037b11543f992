using System.Text;

namespace Patchwire.Agent.Verify;

/// <summary>
/// Keeps the last <c>limit</c> bytes written by any number of streams (stdout and stderr together, in the order the
/// chunks arrive). Everything is read, so the writer never blocks on a full pipe; what fell off the front is counted.
/// </summary>
public sealed class OutputTail(int limit)
{
    private readonly byte[] _ring = new byte[limit];
    private readonly object _gate = new();
    private long _written;

    public async Task DrainAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        while (true)
        {
            int read;
            try { read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false); }
            catch (IOException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (OperationCanceledException) { return; }
            if (read == 0) return;
            Append(buffer.AsSpan(0, read));
        }
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            var total = bytes.Length;
            if (bytes.Length >= _ring.Length) bytes = bytes[^_ring.Length..];
            var at = (int)((_written + total - bytes.Length) % _ring.Length);
            var first = Math.Min(bytes.Length, _ring.Length - at);
            bytes[..first].CopyTo(_ring.AsSpan(at));
            bytes[first..].CopyTo(_ring);
            _written += total;
        }
    }

    /// <summary>The kept tail as text (from a whole UTF-8 character on), after a marker line when the front was dropped.</summary>
    public string Text()
    {
        lock (_gate)
        {
            byte[] kept;
            if (_written <= _ring.Length)
            {
                kept = _ring.AsSpan(0, (int)_written).ToArray();
            }
            else
            {
                var at = (int)(_written % _ring.Length);
                kept = new byte[_ring.Length];
                _ring.AsSpan(at).CopyTo(kept);
                _ring.AsSpan(0, at).CopyTo(kept.AsSpan(_ring.Length - at));
            }
            var start = 0;
            if (_written > kept.Length)
                while (start < kept.Length && start < 4 && (kept[start] & 0xC0) == 0x80) start++;
            var text = new UTF8Encoding(false, false).GetString(kept, start, kept.Length - start);
            var dropped = _written - (kept.Length - start);
            return dropped == 0 ? text : $"[patchwire: output truncated: the first {dropped} bytes were dropped, the last {kept.Length - start} kept]\n" + text;
        }
    }
}
