using Patchwire.Agent.Checkouts;

namespace Patchwire.Agent.Sync;

/// <summary>
/// The paths of a snapshot that the agent's file system cannot hold as git names them. Windows refuses reserved
/// device names whatever their extension (<c>aux.c</c>, <c>con</c>, <c>nul.txt</c>, <c>com1</c>), the characters
/// <c>&lt; &gt; : " | ? * \</c> and control characters, and drops a trailing dot or space; Windows and macOS store two
/// names that differ only in case as one. (macOS also treats two Unicode normalizations of one name as one; the agent
/// runs with invariant globalization, which cannot normalize, so that pair is not caught here.) Checked before anything is
/// checked out (SnapshotReceiver lists the paths), so such a snapshot is refused with the paths named rather than
/// failing half-way in git checkout. Nothing to check on Linux, which takes every name git's fsck lets through.
/// Pure, so the tests compile it on Linux.
/// </summary>
public static class SnapshotNames
{
    /// <summary>At most this many paths are named in an answer.</summary>
    public const int MaxReported = 50;

    private static readonly HashSet<string> ReservedDeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM\u00b9", "COM\u00b2", "COM\u00b3",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT\u00b9", "LPT\u00b2", "LPT\u00b3",
    };

    private const string ForbiddenOnWindows = "<>:\"|?*\\";

    public sealed record Problem(string Path, string Why);

    /// <summary>The problems of <paramref name="paths"/> (git's '/'-separated paths of files, links and submodules) on <paramref name="platform"/>.</summary>
    public static IReadOnlyList<Problem> Check(IEnumerable<string> paths, NamePlatform platform)
    {
        var problems = new List<Problem>();
        if (platform == NamePlatform.Linux) return problems;
        var reported = new HashSet<string>(StringComparer.Ordinal);
        // Every file and every folder on the way, by the key the file system would store it under.
        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var parts = path.Split('/');
            for (var depth = 1; depth <= parts.Length; depth++)
            {
                var prefix = depth == parts.Length ? path : string.Join('/', parts, 0, depth);
                if (platform == NamePlatform.Windows && WindowsProblem(parts[depth - 1]) is { } why)
                {
                    if (reported.Add(prefix)) problems.Add(new Problem(prefix, why));
                    break;
                }
                var key = Key(prefix);
                if (!byKey.TryGetValue(key, out var first)) byKey[key] = prefix;
                else if (first != prefix)
                {
                    if (reported.Add(prefix))
                        problems.Add(new Problem(prefix, $"differs from '{first}' only in case; {Name(platform)} keeps them as one"));
                    break;
                }
            }
        }
        return problems;
    }

    /// <summary>Why Windows cannot create a file or folder called <paramref name="name"/>, or null.</summary>
    public static string? WindowsProblem(string name)
    {
        foreach (var c in name)
        {
            if (c < 32) return $"holds the control character U+{(int)c:X4}, which Windows does not allow in a name";
            if (ForbiddenOnWindows.IndexOf(c) >= 0) return $"holds '{c}', which Windows does not allow in a name";
        }
        if (name.EndsWith('.') || name.EndsWith(' '))
            return $"ends with {(name.EndsWith('.') ? "a dot" : "a space")}, which Windows drops from a name";
        // The device names are reserved with any extension, and with spaces before it ("nul .txt").
        var stem = name.Split('.')[0].TrimEnd(' ');
        if (ReservedDeviceNames.Contains(stem))
            return $"'{stem}' is a reserved device name on Windows, with any extension";
        return null;
    }

    private static string Key(string path) => path.ToUpperInvariant();

    private static string Name(NamePlatform platform) => platform == NamePlatform.MacOS ? "macOS" : "Windows";

    /// <summary>One sentence naming the first few problems, for the answer's message.</summary>
    public static string Describe(IReadOnlyList<Problem> problems, NamePlatform platform)
    {
        var shown = problems.Take(5).Select(p => $"'{p.Path}' {p.Why}");
        var more = problems.Count > 5 ? $" (and {problems.Count - 5} more)" : "";
        return $"This agent runs on {Name(platform)}, which cannot create every path of this snapshot: {string.Join("; ", shown)}{more}. " +
               "Nothing was checked out; the previous baseline is unchanged. Rename those files, or list them under sync.exclude in patchwire.yml.";
    }
}
