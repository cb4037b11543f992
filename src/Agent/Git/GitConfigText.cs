using System.Text;

namespace Patchwire.Agent.Git;

/// <summary>One setting of a git config file; section and key in lower case, the subsection as written.</summary>
public sealed record GitConfigEntry(string Section, string? Subsection, string Key, string? Value)
{
    public string Name => Subsection is null ? $"{Section}.{Key}" : $"{Section}.{Subsection}.{Key}";
}

/// <summary>
/// Reads and writes the git config file format, for the checkout's own <c>.git/config</c>. The agent writes that
/// file itself: only the settings on <see cref="Keep"/> survive (what a repository needs to be read the same way,
/// and where it came from); everything that can name a command, another file or another folder (filters, diff and
/// merge drivers, fsmonitor, hooksPath, pager, editor, sshCommand, include, includeIf, worktree...) is dropped.
/// Values are re-quoted on the way out, so nothing read can turn into a different key.
/// </summary>
public static class GitConfigText
{
    private static readonly HashSet<string> KeepPlain = new(StringComparer.Ordinal)
    {
        "core.repositoryformatversion", "core.filemode", "core.logallrefupdates", "core.ignorecase", "core.precomposeunicode",
        "core.symlinks", "core.autocrlf", "core.eol", "core.safecrlf", "core.checkstat", "core.trustctime",
        "extensions.objectformat", "extensions.refstorage",
        "user.name", "user.email",
    };

    private static readonly HashSet<string> KeepWithSubsection = new(StringComparer.Ordinal)
    {
        "remote.url", "remote.pushurl", "remote.fetch", "branch.remote", "branch.merge",
    };

    /// <summary>True when the agent keeps <paramref name="entry"/> in a checkout's config.</summary>
    public static bool Keep(GitConfigEntry entry) =>
        entry.Subsection is null ? KeepPlain.Contains(entry.Section + "." + entry.Key)
            : KeepWithSubsection.Contains(entry.Section + "." + entry.Key) && entry.Value is not null && !entry.Subsection.Contains('\n');

    /// <summary>
    /// The config the agent writes for a repository whose config was <paramref name="original"/> (null when it had
    /// none or it could not be read): the kept settings, and <c>core.bare = false</c>.
    /// </summary>
    public static string Canonical(string? original)
    {
        var entries = original is null ? null : Parse(original);
        var kept = (entries ?? new List<GitConfigEntry>()).Where(Keep).ToList();
        kept.RemoveAll(e => e.Name == "core.bare");
        if (!kept.Any(e => e.Name == "core.repositoryformatversion"))
            kept.Insert(0, new GitConfigEntry("core", null, "repositoryformatversion", "0"));
        kept.Insert(1, new GitConfigEntry("core", null, "bare", "false"));
        return Write(kept);
    }

    /// <summary>The settings in <paramref name="text"/>, or null when git would refuse it too. Include directives are settings like any other (never followed).</summary>
    public static List<GitConfigEntry>? Parse(string text)
    {
        var entries = new List<GitConfigEntry>();
        string? section = null;
        string? subsection = null;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\r' or '\n' || (c == '\uFEFF' && i == 0)) { i++; continue; }
            if (c is '#' or ';') { SkipLine(text, ref i); continue; }
            if (c == '[')
            {
                if (!ParseHeader(text, ref i, out section, out subsection)) return null;
                continue;
            }
            if (!char.IsAsciiLetter(c) || section is null) return null;
            var start = i;
            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '-')) i++;
            var key = text[start..i].ToLowerInvariant();
            while (i < text.Length && text[i] is ' ' or '\t') i++;
            if (i >= text.Length || text[i] is '\n' or '\r' or '#' or ';')
            {
                SkipLine(text, ref i);
                entries.Add(new GitConfigEntry(section, subsection, key, null));
                continue;
            }
            if (text[i] != '=') return null;
            i++;
            var value = ParseValue(text, ref i);
            if (value is null) return null;
            entries.Add(new GitConfigEntry(section, subsection, key, value));
        }
        return entries;
    }

    public static string Write(IEnumerable<GitConfigEntry> entries)
    {
        var text = new StringBuilder();
        foreach (var group in entries.GroupBy(e => (e.Section, e.Subsection)))
        {
            text.Append('[').Append(group.Key.Section);
            if (group.Key.Subsection is { } sub) text.Append(" \"").Append(sub.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
            text.Append("]\n");
            foreach (var entry in group)
                text.Append('\t').Append(entry.Key).Append(" = ").Append(Quote(entry.Value ?? "true")).Append('\n');
        }
        return text.ToString();
    }

    private static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                '\t' => "\\t",
                '\b' => "\\b",
                _ => c.ToString(),
            });
        }
        return text.Append('"').ToString();
    }

    private static void SkipLine(string text, ref int i)
    {
        while (i < text.Length && text[i] != '\n') i++;
    }

    private static bool ParseHeader(string text, ref int i, out string? section, out string? subsection)
    {
        section = null;
        subsection = null;
        i++; // [
        var start = i;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '-' or '.')) i++;
        if (i == start || i >= text.Length) return false;
        var name = text[start..i];
        if (text[i] == ']')
        {
            i++;
            // The old [section.subsection] form: the whole name is case-insensitive.
            var dot = name.IndexOf('.');
            section = (dot < 0 ? name : name[..dot]).ToLowerInvariant();
            subsection = dot < 0 ? null : name[(dot + 1)..].ToLowerInvariant();
            return section.Length > 0;
        }
        if (name.Contains('.')) return false;
        while (i < text.Length && text[i] is ' ' or '\t') i++;
        if (i >= text.Length || text[i] != '"') return false;
        i++;
        var sub = new StringBuilder();
        while (true)
        {
            if (i >= text.Length || text[i] == '\n') return false;
            var c = text[i++];
            if (c == '"') break;
            if (c == '\\')
            {
                if (i >= text.Length || text[i] == '\n') return false;
                c = text[i++];
            }
            sub.Append(c);
        }
        if (i >= text.Length || text[i] != ']') return false;
        i++;
        section = name.ToLowerInvariant();
        subsection = sub.ToString();
        return true;
    }

    private static string? ParseValue(string text, ref int i)
    {
        var value = new StringBuilder();
        var quoted = false;
        var pendingSpace = 0; // unquoted whitespace kept only if more value follows
        var started = false;
        while (i < text.Length)
        {
            var c = text[i++];
            if (c == '\n')
            {
                if (quoted) return null;
                return value.ToString();
            }
            if (c == '\r' && i < text.Length && text[i] == '\n') continue;
            if (!quoted && (c is '#' or ';'))
            {
                SkipLine(text, ref i);
                return value.ToString();
            }
            if (!quoted && c is ' ' or '\t')
            {
                if (started) pendingSpace++;
                continue;
            }
            if (pendingSpace > 0) { value.Append(' ', pendingSpace); pendingSpace = 0; }
            started = true;
            if (c == '"') { quoted = !quoted; continue; }
            if (c == '\\')
            {
                if (i >= text.Length) return null;
                var next = text[i++];
                if (next == '\r' && i < text.Length && text[i] == '\n') { i++; continue; }
                switch (next)
                {
                    case '\n': continue; // line continuation
                    case 'n': value.Append('\n'); break;
                    case 't': value.Append('\t'); break;
                    case 'b': value.Append('\b'); break;
                    case '\\': value.Append('\\'); break;
                    case '"': value.Append('"'); break;
                    default: return null;
                }
                continue;
            }
            value.Append(c);
        }
        return quoted ? null : value.ToString();
    }
}
