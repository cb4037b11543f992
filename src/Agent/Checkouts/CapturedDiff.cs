namespace Patchwire.Agent.Checkouts;

/// <summary>Everything a run changed, as a patch <c>git apply</c> accepts plus per-file details.</summary>
public sealed record CapturedDiff(string Patch, IReadOnlyList<FileChange> Changes)
{
    public int LinesAdded => Changes.Sum(c => c.Additions ?? 0);
    public int LinesRemoved => Changes.Sum(c => c.Deletions ?? 0);
}
