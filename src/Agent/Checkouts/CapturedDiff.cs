namespace Patchwire.Agent.Checkouts;

/// <summary>Everything a run changed, as a patch <c>git apply</c> accepts plus per-file details.</summary>
/// <param name="PatchBytes">The patch as git wrote it, at most PW_MAX_DIFF_BYTES; streamed to a client as it is held.</param>
public sealed record CapturedDiff(CappedBytes PatchBytes, IReadOnlyList<FileChange> Changes)
{
    /// <summary>The patch as text, decoded on each call: prefer <see cref="PatchBytes"/> where the bytes will do.</summary>
    public string Patch => PatchBytes.ToText();

    public bool IsEmpty => PatchBytes.Length == 0;
    public int LinesAdded => Changes.Sum(c => c.Additions ?? 0);
    public int LinesRemoved => Changes.Sum(c => c.Deletions ?? 0);
}

/// <summary>The AI's changes make a patch larger than PW_MAX_DIFF_BYTES: git was stopped before more of it was read.</summary>
public sealed class DiffTooLargeException(long limit)
    : Exception($"The AI's changes make a diff larger than {DiffTooLargeException.Size(limit)} (PW_MAX_DIFF_BYTES)")
{
    public long Limit { get; } = limit;

    /// <summary>"64 MiB (67108864 bytes)", or "70000 bytes" for a limit that is no whole number of MiB.</summary>
    public static string Size(long bytes) =>
        bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB ({bytes} bytes)" : $"{bytes} bytes";
}
