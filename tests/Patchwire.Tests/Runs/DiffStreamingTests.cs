using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Patchwire.Agent.Git;
using Patchwire.Agent.Http;

namespace Patchwire.Tests.Runs;

/// <summary>The pieces that keep a diff bounded: reading git's output up to a limit, and writing it into JSON block by block.</summary>
public sealed class DiffStreamingTests
{
    /// <summary>Text with one-, two-, three- and four-byte characters, quotes, backslashes, control characters and invalid bytes.</summary>
    private static byte[] MixedBytes(int length)
    {
        var pieces = new List<byte[]>
        {
            Encoding.UTF8.GetBytes("+line with \"quotes\" and \\back\\slashes\t<tag> & 'single' + plus\r\n"),
            Encoding.UTF8.GetBytes("é ✓ 😀 \u2028 \u0000 \u001f\n"),
            new byte[] { 0xff, 0xfe, (byte)'x', 0xc3, (byte)'y', 0xe2, 0x9c, (byte)'z', 0xf0, 0x9f, 0x98 },
        };
        var bytes = new List<byte>(length + 100);
        for (var i = 0; bytes.Count < length; i++) bytes.AddRange(pieces[i % pieces.Count]);
        return bytes.Take(length).ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(65536)]
    public async Task Text_written_in_blocks_is_the_JSON_string_of_the_text_decoded_whole(int blockSize)
    {
        var text = MixedBytes(200_000);
        var blocks = Enumerable.Range(0, (text.Length + blockSize - 1) / blockSize)
            .Select(i => (ReadOnlyMemory<byte>)text.AsMemory(i * blockSize, Math.Min(blockSize, text.Length - i * blockSize)));
        using var json = new MemoryStream();
        json.WriteByte((byte)'"');
        await JsonStringContent.WriteAsync(json, blocks, JavaScriptEncoder.UnsafeRelaxedJsonEscaping, CancellationToken.None);
        json.WriteByte((byte)'"');

        var parsed = JsonDocument.Parse(json.ToArray()).RootElement.GetString();
        Assert.Equal(Encoding.UTF8.GetString(text), parsed);
    }

    [Fact]
    public async Task A_text_ending_in_half_a_character_ends_in_a_replacement_character()
    {
        using var json = new MemoryStream();
        json.WriteByte((byte)'"');
        await JsonStringContent.WriteAsync(json, new ReadOnlyMemory<byte>[] { "ab"u8.ToArray(), new byte[] { 0xe2, 0x9c } },
            JavaScriptEncoder.UnsafeRelaxedJsonEscaping, CancellationToken.None);
        json.WriteByte((byte)'"');
        Assert.Equal("ab\uFFFD", JsonDocument.Parse(json.ToArray()).RootElement.GetString());
    }

    [Theory]
    [InlineData(0, 1024)]
    [InlineData(1024, 1024)]
    [InlineData(200_000, 200_000)]
    [InlineData(200_000, 1_000_000)]
    public async Task Output_up_to_the_limit_is_kept_whole_in_order(int length, long limit)
    {
        var bytes = MixedBytes(length);
        var kept = await CappedBytes.ReadAsync(new MemoryStream(bytes), limit, CancellationToken.None);

        Assert.NotNull(kept);
        Assert.Equal(length, kept.Length);
        Assert.Equal(bytes, kept.Blocks().SelectMany(b => b.ToArray()).ToArray());
        Assert.Equal(Encoding.UTF8.GetString(bytes), kept.ToText());
    }

    [Theory]
    [InlineData(1025, 1024)]
    [InlineData(200_001, 200_000)]
    public async Task One_byte_past_the_limit_is_null_and_the_rest_is_never_read(int length, long limit)
    {
        var stream = new MemoryStream(MixedBytes(length + 500_000));
        var kept = await CappedBytes.ReadAsync(stream, limit, CancellationToken.None);

        Assert.Null(kept);
        Assert.Equal(limit + 1, stream.Position);
    }
}
