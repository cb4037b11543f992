namespace Patchwire.Agent.Sync;

/// <summary>
/// The baseline of a checkout: the last snapshot a sync checked out there, kept on the private ref
/// refs/patchwire/baseline of the checkout's own repository. A checkout made by other means (git clone) has none.
/// Public for /ask and /chat, which may start a run from a baseline.
/// </summary>
public static class CheckoutBaseline
{
    public const string BaselineRef = Patchwire.Core.Protocol.GitRefs.Baseline;

    /// <summary>
    /// For the git calls of a sync: a sync is redone from the laptop if a power cut loses it, and an fsync right after
    /// a large checkout waits for the whole filesystem journal (hundreds of ms for the next small sync).
    /// </summary>
    internal static readonly string[] NoFsync = { "-c", "core.fsync=none" };

    /// <summary>True when the checkout has its own .git directory (not a file or symlink that could point elsewhere).</summary>
    public static bool HasOwnRepository(string checkout) => GitDirGuard.HasOwnRepository(checkout);

    /// <summary>The checkout's baseline commit, or null when it has none (no checkout, no repository, never synced).</summary>
    public static async Task<string?> CurrentAsync(string checkout, CancellationToken cancellationToken)
    {
        if (!HasOwnRepository(checkout)) return null;
        var result = await AgentGit.RunAsync(checkout, new[] { "rev-parse", "--verify", "--quiet", BaselineRef + "^{commit}" }, cancellationToken);
        var id = result.Stdout.Trim();
        return result.Ok && BundleHeader.IsObjectId(id) ? id : null;
    }

    /// <summary>
    /// In one git call: the checkout's baseline (or null) and the first of <paramref name="commits"/> it lacks as a
    /// commit (or null when it has them all).
    /// </summary>
    public static async Task<(string? Baseline, string? Missing)> ProbeAsync(string checkout, IReadOnlyList<string> commits, CancellationToken cancellationToken)
    {
        if (!HasOwnRepository(checkout)) return (null, commits.FirstOrDefault());
        var input = string.Concat(commits.Select(c => c + "\n")) + BaselineRef + "\n";
        var result = await AgentGit.RunAsync(checkout, new[] { "cat-file", "--batch-check=%(objectname) %(objecttype)" }, cancellationToken, input);
        if (!result.Ok) return (null, commits.FirstOrDefault());
        var lines = result.Stdout.Split('\n');
        for (var i = 0; i < commits.Count; i++)
            if (i >= lines.Length || lines[i] != commits[i] + " commit") return (null, commits[i]);
        var last = commits.Count < lines.Length ? lines[commits.Count].Split(' ') : Array.Empty<string>();
        var baseline = last.Length == 2 && last[1] == "commit" && BundleHeader.IsObjectId(last[0]) ? last[0] : null;
        return (baseline, null);
    }

    /// <summary>
    /// Puts the work tree at exactly <paramref name="commit"/>: tracked files forced to it, untracked files removed,
    /// ignored files (build outputs, caches) kept. The caller holds the checkout's lock.
    /// </summary>
    public static async Task ResetAsync(string checkout, string commit, CancellationToken cancellationToken) =>
        await ResetAsync(checkout, commit, removeUntracked: true, cancellationToken);

    /// <param name="removeUntracked">False only for a folder created empty just before (nothing there to remove).</param>
    public static async Task ResetAsync(string checkout, string commit, bool removeUntracked, CancellationToken cancellationToken)
    {
        // checkout.workers=0: one writer per core once enough files change (a first sync writes the whole tree).
        await AgentGit.RunCheckedAsync(checkout, [.. NoFsync, "-c", "checkout.workers=0", "checkout", "-q", "-f", "--detach", commit], cancellationToken);
        if (removeUntracked) await AgentGit.RunCheckedAsync(checkout, [.. NoFsync, "clean", "-q", "-f", "-d"], cancellationToken);
    }
}
