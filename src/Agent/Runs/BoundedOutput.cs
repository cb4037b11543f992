using System.Text;

namespace Patchwire.Agent.Runs;

/// <summary>
/// Drains a process's output stream to its end, keeping only the first <c>limit</c> bytes; the rest is read and
/// dropped so the process never blocks on a full pipe, and counted for the truncation marker.
/// </summary>
public sealed class BoundedOutput
{
    private readonly byte[] _kept;
    private int _length;
    private long _dropped;

    public BoundedOutput(int limit) => _kept = new byte[limit];

    /// <param name="observe">Sees every chunk read, kept or dropped (e.g. to split it into lines as it arrives).</param>
    public async Task DrainAsync(Stream stream, CancellationToken cancellationToken, Action<ReadOnlySpan<byte>>? observe = null)
    {
        var buffer = new byte[81920];
        while (true)
        {
            int read;
            try { read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false); }
            catch (IOException) { return; }
            catch (ObjectDisposedException) { return; }
            if (read == 0) return;
            observe?.Invoke(buffer.AsSpan(0, read));
            var room = Math.Min(read, _kept.Length - _length);
            if (room > 0)
            {
                Buffer.BlockCopy(buffer, 0, _kept, _length, room);
                _length += room;
            }
            if (read > room) Interlocked.Add(ref _dropped, read - room);
        }
    }

    /// <summary>The kept text (never ending in half a UTF-8 character), plus a marker line when output was dropped.</summary>
    public string Text()
    {
        var decoder = new UTF8Encoding(false, false).GetDecoder();
        var chars = new char[_length + 1];
        var count = decoder.GetChars(_kept, 0, _length, chars, 0, flush: _dropped == 0);
        var text = new string(chars, 0, count);
        return _dropped == 0 ? text : text + $"\n[patchwire: output truncated after {_kept.Length} bytes; {_dropped} more bytes dropped]\n";
    }
}
