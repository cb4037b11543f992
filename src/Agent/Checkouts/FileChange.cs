namespace Patchwire.Agent.Checkouts;

/// <summary>One changed path of a run's diff: git's status letter (A, M, D, R, C, T), line counts (null for binary files).</summary>
public sealed record FileChange(string Path, string Status, int? Additions, int? Deletions, string? OldPath);
