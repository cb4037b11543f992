using System.Globalization;
using System.Text;

namespace Patchwire.Agent.Sync;

/// <summary>What a snapshot checks out to: the sum of its files' sizes and their number, counting a blob once per
/// tree entry that names it (a small pack can name one large blob many times, or one tree inside another).</summary>
public sealed record CheckoutSize(long Bytes, long Files)
{
    /// <summary>Bytes of the files the checkout writes (all of them for a first sync, the added and changed ones after).</summary>
    public long Written { get; init; } = Bytes;
}

/// <summary>
/// Measures a snapshot before it is checked out, from object sizes alone (nothing is inflated or written), and stops
/// as soon as a limit is passed, so a tree built to expand without end costs no more than the limit to refuse.
/// With the size of the previous baseline known, only the entries that changed are looked at.
/// </summary>
public static class SnapshotBounds
{
    private const string GitlinkMode = "160000";

    /// <summary>The size of <paramref name="snapshot"/>, or null when it passes <paramref name="maxBytes"/> or <paramref name="maxFiles"/>
    /// (then <c>Over</c> holds what was counted when the measure stopped, at least one limit beyond).</summary>
    public static async Task<(CheckoutSize? Size, CheckoutSize Over)> MeasureAsync(
        string checkout, string snapshot, string? previous, CheckoutSize? previousSize, long maxBytes, long maxFiles, CancellationToken cancellationToken)
    {
        if (previous is not null && previousSize is not null)
            return await MeasureChangesAsync(checkout, previous, previousSize, snapshot, maxBytes, maxFiles, cancellationToken);
        return await MeasureWholeTreeAsync(checkout, snapshot, maxBytes, maxFiles, cancellationToken);
    }

    private static async Task<(CheckoutSize?, CheckoutSize)> MeasureWholeTreeAsync(string checkout, string snapshot, long maxBytes, long maxFiles, CancellationToken cancellationToken)
    {
        long bytes = 0, files = 0;
        var complete = await StreamRecordsAsync(checkout, new[] { "ls-tree", "-r", "-l", "-z", "--full-tree", snapshot }, record =>
        {
            // "<mode> <type> <id> <size>\t<path>"; the size is "-" for a submodule (a commit, nothing checked out).
            var tab = record.IndexOf('\t');
            if (tab < 0) return true;
            var meta = record.Substring(0, tab).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (meta.Length < 4 || meta[1] != "blob") return true;
            files++;
            bytes += long.Parse(meta[3], NumberStyles.None, CultureInfo.InvariantCulture);
            return bytes <= maxBytes && files <= maxFiles;
        }, cancellationToken);
        var size = new CheckoutSize(bytes, files);
        return complete ? (size, size) : (null, size);
    }

    private static async Task<(CheckoutSize?, CheckoutSize)> MeasureChangesAsync(
        string checkout, string previous, CheckoutSize previousSize, string snapshot, long maxBytes, long maxFiles, CancellationToken cancellationToken)
    {
        var removed = new List<string>();
        var added = new List<string>();
        string? pendingMeta = null;
        var complete = await StreamRecordsAsync(checkout, new[] { "diff-tree", "-r", "-z", "--no-renames", previous, snapshot }, record =>
        {
            // Records come in pairs: ":<old mode> <new mode> <old id> <new id> <status>" then the path.
            if (pendingMeta is null) { pendingMeta = record; return true; }
            var meta = pendingMeta.TrimStart(':').Split(' ');
            pendingMeta = null;
            if (meta.Length < 5) return true;
            if (IsFile(meta[0])) removed.Add(meta[2]);
            if (IsFile(meta[1])) added.Add(meta[3]);
            // Whatever is removed, what remains is at least what was added: past the limit already.
            return added.Count <= maxFiles;
        }, cancellationToken);
        if (!complete) { var over = new CheckoutSize(previousSize.Bytes, added.Count); return (null, over); }

        var sizes = await ObjectSizesAsync(checkout, removed.Concat(added).Distinct(StringComparer.Ordinal).ToList(), cancellationToken);
        var bytes = previousSize.Bytes - removed.Sum(id => sizes[id]) + added.Sum(id => sizes[id]);
        var files = previousSize.Files - removed.Count + added.Count;
        var size = new CheckoutSize(Math.Max(0, bytes), Math.Max(0, files)) { Written = added.Sum(id => sizes[id]) };
        return size.Bytes <= maxBytes && size.Files <= maxFiles ? (size, size) : (null, size);
    }

    private static bool IsFile(string mode) => mode != "000000" && mode != GitlinkMode && !mode.StartsWith("04", StringComparison.Ordinal);

    private static async Task<Dictionary<string, long>> ObjectSizesAsync(string checkout, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        if (ids.Count == 0) return result;
        var output = await AgentGit.RunCheckedAsync(checkout, new[] { "cat-file", "--batch-check=%(objectname) %(objectsize)" }, cancellationToken,
            string.Concat(ids.Select(id => id + "\n")));
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)) result[parts[0]] = size;
        }
        foreach (var id in ids)
            if (!result.ContainsKey(id)) throw new GitException($"git cat-file found no object {id}");
        return result;
    }

    /// <summary>Runs git and hands each NUL-terminated record of its output to <paramref name="take"/>; false from it stops git.
    /// Returns true when the whole output was read.</summary>
    private static async Task<bool> StreamRecordsAsync(string checkout, IReadOnlyList<string> args, Func<string, bool> take, CancellationToken cancellationToken)
    {
        var (result, stopped) = await AgentGit.RunRecordsAsync(checkout, args, take, cancellationToken);
        if (stopped) return false;
        if (!result.Ok) throw new GitException($"git {args[0]} failed: {result.FirstErrorLine}");
        return true;
    }

    public static string Describe(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.##} GiB" : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0.#} MiB" : bytes >= 1024 ? $"{bytes / 1024.0:0.#} KiB" : $"{bytes} bytes";
}
