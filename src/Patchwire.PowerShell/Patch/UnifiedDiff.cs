using System.Text;

namespace Patchwire.PowerShell.Patch;

/// <summary>How a file changed in a diff.</summary>
public enum FileChangeStatus { Modified, Added, Deleted, Renamed, Copied }

/// <summary>One file of a diff: its status and line counts.</summary>
public sealed class PatchwireFileChange
{
    public string Path { get; set; } = "";
    /// <summary>The path before a rename or copy; null for other changes.</summary>
    public string? OldPath { get; set; }
    public FileChangeStatus Status { get; set; }
    public int LinesAdded { get; set; }
    public int LinesRemoved { get; set; }
    public bool Binary { get; set; }
    public override string ToString() => Path;
}

/// <summary>One file's section of a git diff: its text (from 'diff --git' up to the next one) and what it changes.</summary>
public sealed class FileSection(PatchwireFileChange change, string text)
{
    public PatchwireFileChange Change { get; } = change;
    public string Text { get; } = text;
}

/// <summary>
/// Reads git's unified diffs (as 'git diff --binary' writes them): splits them per file, for -Include and for patch
/// files read from disk. Results from the agent carry their files as typed changes instead (<see cref="FileChanges"/>).
/// </summary>
public static class UnifiedDiff
{
    public static IReadOnlyList<PatchwireFileChange> Files(string diff) => Sections(diff).Select(s => s.Change).ToList();

    public static IReadOnlyList<FileSection> Sections(string diff)
    {
        var sections = new List<FileSection>();
        if (string.IsNullOrEmpty(diff)) return sections;
        var lines = SplitKeepingEnds(diff);
        var start = -1;
        for (var i = 0; i <= lines.Count; i++)
        {
            if (i == lines.Count || lines[i].StartsWith("diff --git ", StringComparison.Ordinal))
            {
                if (start >= 0) sections.Add(ParseSection(lines, start, i));
                start = i;
            }
        }
        return sections;
    }

    /// <summary>The sections of <paramref name="diff"/> whose new or old path matches one of the wildcard patterns, joined again.</summary>
    public static string Filter(string diff, Func<PatchwireFileChange, bool> keep) =>
        string.Concat(Sections(diff).Where(s => keep(s.Change)).Select(s => s.Text));

    private static FileSection ParseSection(List<string> lines, int start, int end)
    {
        var change = new PatchwireFileChange { Status = FileChangeStatus.Modified };
        string? minus = null, plus = null, renameFrom = null, renameTo = null;
        var inHunk = false;
        for (var i = start + 1; i < end; i++)
        {
            var line = lines[i].TrimEnd('\n', '\r');
            if (inHunk)
            {
                if (line.StartsWith("+", StringComparison.Ordinal)) change.LinesAdded++;
                else if (line.StartsWith("-", StringComparison.Ordinal)) change.LinesRemoved++;
                else if (line.StartsWith("@@", StringComparison.Ordinal) || line.StartsWith(" ", StringComparison.Ordinal) || line.StartsWith("\\", StringComparison.Ordinal) || line.Length == 0) { }
                else inHunk = false;
                if (inHunk) continue;
            }
            if (line.StartsWith("@@", StringComparison.Ordinal)) inHunk = true;
            else if (line.StartsWith("new file mode", StringComparison.Ordinal)) change.Status = FileChangeStatus.Added;
            else if (line.StartsWith("deleted file mode", StringComparison.Ordinal)) change.Status = FileChangeStatus.Deleted;
            else if (line.StartsWith("rename from ", StringComparison.Ordinal)) { renameFrom = Unquote(line.Substring(12)); change.Status = FileChangeStatus.Renamed; }
            else if (line.StartsWith("rename to ", StringComparison.Ordinal)) renameTo = Unquote(line.Substring(10));
            else if (line.StartsWith("copy from ", StringComparison.Ordinal)) { renameFrom = Unquote(line.Substring(10)); change.Status = FileChangeStatus.Copied; }
            else if (line.StartsWith("copy to ", StringComparison.Ordinal)) renameTo = Unquote(line.Substring(8));
            else if (line.StartsWith("--- ", StringComparison.Ordinal)) minus = StripPrefix(Unquote(line.Substring(4)));
            else if (line.StartsWith("+++ ", StringComparison.Ordinal)) plus = StripPrefix(Unquote(line.Substring(4)));
            else if (line.StartsWith("GIT binary patch", StringComparison.Ordinal) || (line.StartsWith("Binary files ", StringComparison.Ordinal) && line.EndsWith(" differ", StringComparison.Ordinal))) change.Binary = true;
        }
        var (headerOld, headerNew) = HeaderPaths(lines[start].TrimEnd('\n', '\r').Substring("diff --git ".Length));
        var oldPath = renameFrom ?? (minus is not null && minus != "/dev/null" ? minus : null) ?? headerOld ?? "";
        change.Path = renameTo ?? (plus is not null && plus != "/dev/null" ? plus : null) ?? (change.Status == FileChangeStatus.Deleted ? oldPath : headerNew) ?? oldPath;
        change.OldPath = change.Status is FileChangeStatus.Renamed or FileChangeStatus.Copied && oldPath.Length > 0 ? oldPath : null;
        var text = new StringBuilder();
        for (var i = start; i < end; i++) text.Append(lines[i]);
        return new FileSection(change, text.ToString());
    }

    /// <summary>The two paths of 'diff --git a/X b/Y'. Unquoted paths with spaces are ambiguous; for the common X == Y case the split is exact.</summary>
    private static (string? Old, string? New) HeaderPaths(string rest)
    {
        if (rest.StartsWith("\"", StringComparison.Ordinal))
        {
            var end = ClosingQuote(rest, 0);
            if (end < 0) return (null, null);
            var old = StripPrefix(Unquote(rest.Substring(0, end + 1)));
            var second = rest.Substring(end + 1).TrimStart();
            return (old, StripPrefix(Unquote(second)));
        }
        if (rest.EndsWith("\"", StringComparison.Ordinal))
        {
            var open = rest.LastIndexOf(" \"", StringComparison.Ordinal);
            if (open < 0) return (null, null);
            return (StripPrefix(rest.Substring(0, open)), StripPrefix(Unquote(rest.Substring(open + 1))));
        }
        // "a/P b/P": the two halves are equal, so the path is (length - 5) / 2 characters long.
        if (rest.Length >= 5 && (rest.Length - 5) % 2 == 0)
        {
            var half = (rest.Length - 5) / 2;
            var a = rest.Substring(2, half);
            if (rest.Substring(half + 2) == " b/" + a) return (a, a);
        }
        var split = rest.IndexOf(" b/", StringComparison.Ordinal);
        return split > 0 ? (StripPrefix(rest.Substring(0, split)), rest.Substring(split + 3)) : (null, null);
    }

    private static string StripPrefix(string path) =>
        path.Length > 2 && (path.StartsWith("a/", StringComparison.Ordinal) || path.StartsWith("b/", StringComparison.Ordinal)) ? path.Substring(2) : path.TrimEnd('\t');

    private static int ClosingQuote(string s, int open)
    {
        for (var i = open + 1; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] == '"') return i;
        }
        return -1;
    }

    /// <summary>Undoes git's C-style quoting of paths ("dir/caf\303\251 x.txt"), octal escapes being UTF-8 bytes.</summary>
    public static string Unquote(string value)
    {
        value = value.TrimEnd('\t');
        if (value.Length < 2 || value[0] != '"' || value[value.Length - 1] != '"') return value;
        var bytes = new List<byte>();
        for (var i = 1; i < value.Length - 1; i++)
        {
            var c = value[i];
            if (c != '\\')
            {
                var pair = char.IsHighSurrogate(c) && i + 1 < value.Length - 1 ? value.Substring(i++, 2) : c.ToString();
                bytes.AddRange(Encoding.UTF8.GetBytes(pair));
                continue;
            }
            var n = value[++i];
            switch (n)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case '"': case '\\': bytes.Add((byte)n); break;
                default:
                    if (n >= '0' && n <= '7' && i + 2 < value.Length)
                    {
                        bytes.Add(Convert.ToByte(value.Substring(i, 3), 8));
                        i += 2;
                    }
                    else bytes.Add((byte)n);
                    break;
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static List<string> SplitKeepingEnds(string text)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            lines.Add(text.Substring(start, i - start + 1));
            start = i + 1;
        }
        if (start < text.Length) lines.Add(text.Substring(start));
        return lines;
    }
}
