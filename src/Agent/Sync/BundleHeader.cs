using System.Text;

namespace Patchwire.Agent.Sync;

/// <summary>
/// The text header of a git bundle (v2 or v3): prerequisite commits ("-sha comment") and refs ("sha refname"),
/// up to the blank line before the pack. Read by us before git sees the file, so a hostile header is refused early.
/// </summary>
public sealed class BundleHeader
{
    private const int MaxHeaderBytes = 1024 * 1024;

    public IReadOnlyList<string> Prerequisites { get; private init; } = Array.Empty<string>();
    public IReadOnlyList<(string ObjectId, string Name)> Refs { get; private init; } = Array.Empty<(string, string)>();

    /// <summary>Parses the header; null with a reason when the file is not a bundle we accept.</summary>
    public static BundleHeader? Read(string path, out string? error)
    {
        error = null;
        using var stream = File.OpenRead(path);
        var lines = new List<string>();
        var line = new StringBuilder();
        var total = 0;
        while (true)
        {
            var b = stream.ReadByte();
            if (b < 0) { error = "the header ends before the pack"; return null; }
            if (++total > MaxHeaderBytes) { error = "the header is too long"; return null; }
            if (b == 0) { error = "the header holds a NUL byte"; return null; }
            if (b != '\n') { line.Append((char)b); continue; }
            if (line.Length == 0) break;
            lines.Add(line.ToString());
            line.Clear();
            if (lines.Count == 1 && lines[0] != "# v2 git bundle" && lines[0] != "# v3 git bundle") { error = "not a git bundle"; return null; }
        }
        if (lines.Count == 0) { error = "not a git bundle"; return null; }

        var prerequisites = new List<string>();
        var refs = new List<(string, string)>();
        foreach (var text in lines.Skip(1))
        {
            if (text.StartsWith('@'))
            {
                // v3 capabilities: only the default object format is understood; a "filter" (partial bundle) is not accepted.
                if (text != "@object-format=sha1") { error = $"unsupported bundle capability '{text.Substring(1)}'"; return null; }
                continue;
            }
            if (text.StartsWith('-'))
            {
                var id = text.Substring(1).Split(' ', 2)[0];
                if (!IsObjectId(id)) { error = "a prerequisite is not a commit id"; return null; }
                prerequisites.Add(id);
                continue;
            }
            var parts = text.Split(' ', 2);
            if (parts.Length != 2 || !IsObjectId(parts[0])) { error = "a ref line is malformed"; return null; }
            refs.Add((parts[0], parts[1]));
        }
        return new BundleHeader { Prerequisites = prerequisites, Refs = refs };
    }

    public static bool IsObjectId(string text) =>
        text.Length == 40 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
