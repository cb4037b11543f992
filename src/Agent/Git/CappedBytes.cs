using System.Text;

namespace Patchwire.Agent.Git;

/// <summary>
/// Bytes read from a stream up to a limit, held in blocks of fixed size: growing never copies or doubles, so reading
/// a stream of any length costs at most the limit (plus one byte, to tell "exactly the limit" from "more").
/// </summary>
public sealed class CappedBytes
{
    private const int BlockSize = 64 * 1024; // under the large object heap's threshold
    private static readonly UTF8Encoding Utf8 = new(false, false);
    private readonly List<byte[]> _blocks = new();
    private int _lastLength;

    private CappedBytes()
    {
    }

    public static CappedBytes Empty { get; } = new();

    public long Length { get; private set; }

    /// <summary>
    /// Reads <paramref name="stream"/> to its end; null as soon as it has given more than <paramref name="limit"/>
    /// bytes (the rest is left unread, the stream's writer is the caller's to stop).
    /// </summary>
    public static async Task<CappedBytes?> ReadAsync(Stream stream, long limit, CancellationToken cancellationToken)
    {
        var bytes = new CappedBytes();
        while (true)
        {
            if (bytes._blocks.Count == 0 || bytes._lastLength == bytes._blocks[^1].Length)
            {
                // The last block may hold one byte past the limit, no more.
                var size = (int)Math.Min(BlockSize, limit - bytes.Length + 1);
                bytes._blocks.Add(new byte[size]);
                bytes._lastLength = 0;
            }
            var block = bytes._blocks[^1];
            var read = await stream.ReadAsync(block.AsMemory(bytes._lastLength), cancellationToken).ConfigureAwait(false);
            if (read == 0) return bytes;
            bytes._lastLength += read;
            bytes.Length += read;
            if (bytes.Length > limit) return null;
        }
    }

    /// <summary>The bytes in order, as the blocks that hold them.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Blocks()
    {
        for (var i = 0; i < _blocks.Count; i++)
        {
            var length = i == _blocks.Count - 1 ? _lastLength : _blocks[i].Length;
            if (length > 0) yield return _blocks[i].AsMemory(0, length);
        }
    }

    /// <summary>The bytes decoded as UTF-8 (an invalid sequence becomes U+FFFD), in one string built in place.</summary>
    public string ToText()
    {
        var decoder = Utf8.GetDecoder();
        var blocks = Blocks().ToList();
        long count = 0;
        for (var i = 0; i < blocks.Count; i++) count += decoder.GetCharCount(blocks[i].Span, flush: i == blocks.Count - 1);
        decoder.Reset();
        return string.Create(checked((int)count), blocks, (chars, source) =>
        {
            for (var i = 0; i < source.Count; i++)
                chars = chars[decoder.GetChars(source[i].Span, chars, flush: i == source.Count - 1)..];
        });
    }
}
