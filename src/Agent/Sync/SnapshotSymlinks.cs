using System.Text;
using Patchwire.Agent.Checkouts;

namespace Patchwire.Agent.Sync;

/// <summary>
/// Finds symlinks in a snapshot that lead out of the checkout. Checking them out would give the AI (and anything run
/// in the checkout) a path out of the user's folder. Two passes: the link text, before anything is checked out (a
/// target that is absolute or climbs out by its own "..", refused without touching the checkout), then every link of
/// the checked-out tree resolved on disk (a chain such as <c>s -> .</c>, <c>x -> s/s/../../bob/app</c>).
/// </summary>
public static class SnapshotSymlinks
{
    private const string LinkMode = "120000";

    public static async Task<(string Path, string Target)?> FindEscapingAsync(string checkout, string? previous, string snapshot, CancellationToken cancellationToken)
    {
        var links = new List<(string Path, string Blob)>();
        if (previous is not null)
        {
            // Only entries that changed since the last baseline (which passed this check) need a look.
            var diff = await AgentGit.RunCheckedAsync(checkout, new[] { "diff-tree", "-r", "-z", "--no-renames", "--diff-filter=AMT", previous, snapshot }, cancellationToken);
            var fields = diff.Split('\0');
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                var meta = fields[i].TrimStart(':').Split(' ');
                if (meta.Length >= 4 && meta[1] == LinkMode) links.Add((fields[i + 1], meta[3]));
            }
        }
        else
        {
            var tree = await AgentGit.RunCheckedAsync(checkout, new[] { "ls-tree", "-r", "-z", "--full-tree", snapshot }, cancellationToken);
            foreach (var entry in tree.Split('\0'))
            {
                if (!entry.StartsWith(LinkMode + " ", StringComparison.Ordinal)) continue;
                var tab = entry.IndexOf('\t');
                var meta = entry.Substring(0, tab).Split(' ');
                links.Add((entry.Substring(tab + 1), meta[2]));
            }
        }
        if (links.Count == 0) return null;

        var input = new StringBuilder();
        foreach (var link in links) input.Append(link.Blob).Append('\n');
        // Latin-1 maps each byte to one char, so the sizes git prints index the text exactly.
        var batch = await AgentGit.RunCheckedAsync(checkout, new[] { "cat-file", "--batch" }, cancellationToken, input.ToString(), Encoding.Latin1);
        var position = 0;
        foreach (var link in links)
        {
            var headerEnd = batch.IndexOf('\n', position);
            var header = batch.Substring(position, headerEnd - position).Split(' ');
            var size = int.Parse(header[2], System.Globalization.CultureInfo.InvariantCulture);
            var target = batch.Substring(headerEnd + 1, size);
            position = headerEnd + 1 + size + 1;
            if (Escapes(link.Path, target)) return (link.Path, Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(target)));
        }
        return null;
    }

    /// <summary>
    /// After checkout: each symlink git tracks in <paramref name="checkout"/>, resolved on disk through every link on the
    /// way (tracked or not); the first whose real path leaves the checkout or enters its <c>.git</c>, with why, or null.
    /// </summary>
    public static async Task<(string Path, string Target, string Why)?> FindResolvedEscapingAsync(string checkout, CancellationToken cancellationToken)
    {
        var index = await AgentGit.RunCheckedAsync(checkout, new[] { "ls-files", "-s", "-z" }, cancellationToken);
        var realCheckout = ProjectPaths.RealPath(checkout);
        var inside = realCheckout.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        var dotGit = inside + ".git";
        foreach (var entry in index.Split('\0'))
        {
            if (!entry.StartsWith(LinkMode + " ", StringComparison.Ordinal)) continue;
            var path = entry.Substring(entry.IndexOf('\t') + 1);
            var onDisk = System.IO.Path.Combine(checkout, path);
            var target = new FileInfo(onDisk).LinkTarget ?? "";
            string real;
            try { real = ProjectPaths.RealPath(onDisk); }
            catch (IOException) { return (path, target, "is a loop of links"); }
            if (real == dotGit || real.StartsWith(dotGit + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
                return (path, target, "points into the checkout's .git");
            if (real != realCheckout && !real.StartsWith(inside, StringComparison.Ordinal))
                return (path, target, "points outside the project");
        }
        return null;
    }

    /// <summary>True when <paramref name="target"/>, read from the folder of <paramref name="linkPath"/>, is absolute or leaves the checkout.</summary>
    public static bool Escapes(string linkPath, string target)
    {
        if (target.Length == 0) return false;
        if (target.StartsWith('/') || target.StartsWith('\\') || (target.Length >= 2 && target[1] == ':')) return true;
        var depth = linkPath.Split('/').Length - 1;
        foreach (var part in target.Split('/', '\\'))
        {
            if (part == "..") { if (--depth < 0) return true; }
            else if (part.Length > 0 && part != ".") depth++;
        }
        return false;
    }
}
