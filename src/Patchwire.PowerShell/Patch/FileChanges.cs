using Patchwire.Core.Protocol;

namespace Patchwire.PowerShell.Patch;

/// <summary>The agent's typed per-file changes (a result's "changes", a chat_diff's "files") as the module's file objects.</summary>
public static class FileChanges
{
    /// <summary>
    /// The changes the agent listed; for an agent that sends none (older agents) the diff is read instead.
    /// </summary>
    public static PatchwireFileChange[] From(IReadOnlyCollection<FileChangeInfo>? changes, string diff) =>
        changes is { Count: > 0 } ? changes.Select(From).ToArray() : UnifiedDiff.Files(diff).ToArray();

    public static PatchwireFileChange From(FileChangeInfo change)
    {
        var status = StatusOf(change.Status);
        return new PatchwireFileChange
        {
            Path = change.Path,
            OldPath = status is FileChangeStatus.Renamed or FileChangeStatus.Copied && !string.IsNullOrEmpty(change.OldPath) ? change.OldPath : null,
            Status = status,
            LinesAdded = change.Additions ?? 0,
            LinesRemoved = change.Deletions ?? 0,
            Binary = change.Additions is null && change.Deletions is null,
        };
    }

    /// <summary>git's status letters (A, M, D, R, C, T; a rename may carry its score, R100) or upstream's words.</summary>
    public static FileChangeStatus StatusOf(string? status) => (status ?? "").ToUpperInvariant() switch
    {
        "A" or "ADDED" => FileChangeStatus.Added,
        "D" or "DELETED" => FileChangeStatus.Deleted,
        var s when s.StartsWith("R", StringComparison.Ordinal) => FileChangeStatus.Renamed,
        var s when s.StartsWith("C", StringComparison.Ordinal) => FileChangeStatus.Copied,
        _ => FileChangeStatus.Modified,
    };
}
