namespace Patchwire.Core.Audit;

/// <summary>What to read from the audit log. Every filter is applied before <see cref="Limit"/>.</summary>
public sealed class AuditQuery
{
    public AuditTextFilter? User { get; set; }
    public AuditTextFilter? Project { get; set; }
    public AuditTextFilter? Route { get; set; }
    /// <summary>Only entries at or after this instant.</summary>
    public DateTimeOffset? Since { get; set; }
    /// <summary>The last N matches (returned oldest first); 0 returns every match.</summary>
    public int Limit { get; set; } = 100;
}

/// <summary>
/// A filter on one text field. <see cref="Matches"/> decides (the caller brings its own rules, e.g. PowerShell
/// wildcards); <see cref="MustContain"/> is an optional promise about every value that matches, used to skip lines
/// on their raw bytes before parsing them: every matching value contains it (ASCII, compared ignoring case),
/// or equals it when <see cref="Exact"/> is set.
/// </summary>
public sealed class AuditTextFilter
{
    public AuditTextFilter(Func<string, bool> matches, string? mustContain = null, bool exact = false)
    {
        Matches = matches ?? throw new ArgumentNullException(nameof(matches));
        if (!string.IsNullOrEmpty(mustContain) && mustContain!.All(c => c > 0 && c < 128))
        {
            MustContain = mustContain;
            Exact = exact;
            FoldedHint = mustContain.Select(c => AsciiLower((byte)c)).ToArray();
        }
    }

    public Func<string, bool> Matches { get; }
    public string? MustContain { get; }
    public bool Exact { get; }
    internal byte[]? FoldedHint { get; }

    /// <summary>A filter that matches one value exactly, ignoring case.</summary>
    public static AuditTextFilter Equal(string value) =>
        new(v => string.Equals(v, value, StringComparison.OrdinalIgnoreCase), value, exact: true);

    /// <summary>Can a raw, unescaped value pass? False only when it certainly cannot.</summary>
    [System.Runtime.CompilerServices.MethodImpl(AuditHotPath.Optimize)]
    internal bool MayMatch(ReadOnlySpan<byte> value)
    {
        var hint = FoldedHint;
        if (hint is null) return true;
        if (Exact) return value.Length == hint.Length && EqualsFolded(value, hint);
        for (var i = 0; i + hint.Length <= value.Length; i++)
            if (EqualsFolded(value.Slice(i, hint.Length), hint)) return true;
        return false;
    }

    private static bool EqualsFolded(ReadOnlySpan<byte> value, byte[] foldedHint)
    {
        for (var i = 0; i < foldedHint.Length; i++)
            if (AsciiLower(value[i]) != foldedHint[i]) return false;
        return true;
    }

    private static byte AsciiLower(byte b) => b >= 'A' && b <= 'Z' ? (byte)(b | 0x20) : b;
}

/// <summary>One entry read from the log: the parsed entry and its line exactly as stored (without the line ending).</summary>
public sealed class AuditRecord
{
    public AuditRecord(AuditEntry entry, string line)
    {
        Entry = entry;
        Line = line;
    }

    public AuditEntry Entry { get; }
    public string Line { get; }
}
