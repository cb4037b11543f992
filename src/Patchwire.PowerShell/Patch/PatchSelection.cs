using System.Management.Automation;

namespace Patchwire.PowerShell.Patch;

/// <summary>Choosing files of a diff by wildcard, and describing them.</summary>
internal static class PatchSelection
{
    /// <summary>The part of <paramref name="diff"/> for files matching any pattern (all files when there are none).</summary>
    public static string Select(string diff, IReadOnlyCollection<string>? include, out List<PatchwireFileChange> chosen)
    {
        var sections = UnifiedDiff.Sections(diff);
        if (include is null || include.Count == 0)
        {
            chosen = sections.Select(s => s.Change).ToList();
            return diff;
        }
        var patterns = include.Select(p => new WildcardPattern(p.Replace('\\', '/'), WildcardOptions.CultureInvariant)).ToList();
        bool Matches(PatchwireFileChange c) => patterns.Any(p => p.IsMatch(c.Path) || (c.OldPath is not null && p.IsMatch(c.OldPath)));
        var kept = sections.Where(s => Matches(s.Change)).ToList();
        chosen = kept.Select(s => s.Change).ToList();
        return string.Concat(kept.Select(s => s.Text));
    }

    public static string Describe(IReadOnlyCollection<PatchwireFileChange> files) =>
        $"{files.Count} file{(files.Count == 1 ? "" : "s")}, +{files.Sum(f => f.LinesAdded)} -{files.Sum(f => f.LinesRemoved)}: {string.Join(", ", files.Take(5).Select(f => f.Path))}{(files.Count > 5 ? ", …" : "")}";
}
