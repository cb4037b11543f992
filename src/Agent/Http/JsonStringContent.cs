using System.Buffers;
using System.Text.Encodings.Web;

namespace Patchwire.Agent.Http;

/// <summary>
/// UTF-8 text written as the inside of a JSON string (no quotes), escaped block by block as it goes: a text of any
/// size is never held a second time. An invalid UTF-8 sequence becomes U+FFFD, as decoding it to a string would;
/// a character split between two blocks is joined.
/// </summary>
public static class JsonStringContent
{
    private const int OutputSize = 128 * 1024;

    public static async Task WriteAsync(Stream destination, IEnumerable<ReadOnlyMemory<byte>> utf8, JavaScriptEncoder encoder, CancellationToken cancellationToken)
    {
        var output = new byte[OutputSize];
        ReadOnlyMemory<byte> carry = default;
        foreach (var block in utf8)
        {
            var source = carry.IsEmpty ? block : Join(carry, block);
            carry = default;
            while (true)
            {
                var status = Encode(encoder, source, output, isFinalBlock: false, out var consumed, out var written);
                if (written > 0) await destination.WriteAsync(output.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
                source = source[consumed..];
                if (status == OperationStatus.DestinationTooSmall) continue;
                if (status == OperationStatus.NeedMoreData) carry = source.ToArray(); // the start of a character the next block ends
                break;
            }
        }
        while (!carry.IsEmpty)
        {
            var status = Encode(encoder, carry, output, isFinalBlock: true, out var consumed, out var written);
            if (written > 0) await destination.WriteAsync(output.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
            carry = carry[consumed..];
            if (status != OperationStatus.DestinationTooSmall) break;
        }
    }

    private static OperationStatus Encode(JavaScriptEncoder encoder, ReadOnlyMemory<byte> source, byte[] output, bool isFinalBlock, out int consumed, out int written) =>
        encoder.EncodeUtf8(source.Span, output, out consumed, out written, isFinalBlock);

    private static ReadOnlyMemory<byte> Join(ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> tail)
    {
        var joined = new byte[head.Length + tail.Length];
        head.CopyTo(joined);
        tail.CopyTo(joined.AsMemory(head.Length));
        return joined;
    }
}
