using System.Text;

namespace Patchwire.Agent.Sync;

/// <summary>
/// The text header of a git bundle (v2 or v3): prerequisite commits ("-sha comment") and refs ("sha refname"),
/// up to the blank line before the pack. Parsed by us from the request stream before git sees anything,
/// so a hostile header is refused early and the pack that follows can be streamed straight into index-pack.
/// </summary>
public sealed class BundleHeader
{
    private const int MaxHeaderBytes = 64 * 1024;

    public IReadOnlyList<string> Prerequisites { get; private init; } = Array.Empty<string>();
    public IReadOnlyList<(string ObjectId, string Name)> Refs { get; private init; } = Array.Empty<(string, string)>();
    /// <summary>Bytes read past the header (the start of the pack).</summary>
    public ReadOnlyMemory<byte> PackStart { get; private init; }
    public int HeaderBytes { get; private init; }

    /// <summary>Reads and parses the header from <paramref name="stream"/>; on failure returns null with a reason.</summary>
    public static async Task<(BundleHeader? Header, string? Error)> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeaderBytes + 64 * 1024];
        var filled = 0;
        var end = -1;
        while (end < 0)
        {
            if (filled == buffer.Length) return (null, "the header is too long");
            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0) return (null, filled == 0 ? "the body is empty" : "the header ends before the pack");
            var searchFrom = Math.Max(0, filled - 1);
            filled += read;
            if (filled >= 16 && !StartsWithSignature(buffer)) return (null, "not a git bundle");
            for (var i = searchFrom; i + 1 < filled; i++)
                if (buffer[i] == '\n' && buffer[i + 1] == '\n') { end = i; break; }
            if (end < 0 && filled > MaxHeaderBytes) return (null, "the header is too long");
        }
        if (Array.IndexOf(buffer, (byte)0, 0, end) >= 0) return (null, "the header holds a NUL byte");
        string text;
        try { text = new UTF8Encoding(false, true).GetString(buffer, 0, end); }
        catch (DecoderFallbackException) { return (null, "the header is not UTF-8"); }
        var lines = text.Split('\n');
        if (lines[0] != "# v2 git bundle" && lines[0] != "# v3 git bundle") return (null, "not a git bundle");

        var prerequisites = new List<string>();
        var refs = new List<(string, string)>();
        foreach (var line in lines.Skip(1))
        {
            if (line.StartsWith('@'))
            {
                // v3 capabilities: only the default object format; a "filter" (partial bundle) is not accepted.
                if (lines[0] != "# v3 git bundle" || line != "@object-format=sha1") return (null, $"unsupported bundle capability '{line.TrimStart('@')}'");
                continue;
            }
            if (line.StartsWith('-'))
            {
                var id = line.Substring(1).Split(' ', 2)[0];
                if (!IsObjectId(id)) return (null, "a prerequisite is not a commit id");
                prerequisites.Add(id);
                continue;
            }
            var parts = line.Split(' ', 2);
            if (parts.Length != 2 || !IsObjectId(parts[0])) return (null, "a ref line is malformed");
            refs.Add((parts[0], parts[1]));
        }
        return (new BundleHeader
        {
            Prerequisites = prerequisites,
            Refs = refs,
            HeaderBytes = end + 2,
            PackStart = buffer.AsMemory(end + 2, filled - end - 2),
        }, null);
    }

    private static bool StartsWithSignature(byte[] buffer) =>
        buffer.AsSpan(0, 16).SequenceEqual("# v2 git bundle\n"u8) || buffer.AsSpan(0, 16).SequenceEqual("# v3 git bundle\n"u8);

    public static bool IsObjectId(string text) => text.Length == 40 && Patchwire.Core.Protocol.ObjectIds.IsObjectId(text);
}
